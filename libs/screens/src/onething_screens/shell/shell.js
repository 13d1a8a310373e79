// The shell every OneThing screen shares: zh-CN first with an English switch, and the senior mode (长者专版).
// A page marks its fixed text with data-en (and data-en-placeholder, data-en-aria-label, data-en-title);
// text it writes itself goes through tr(zh, en) and is written again on the "shell:lang" event.

const LANG_KEY = "onething.lang";
const SENIOR_KEY = "onething.senior";
const ATTRIBUTES = ["placeholder", "aria-label", "title"];

// Storage can be refused (private windows, locked-down kiosks): the switches then last for the page only.
function recall(key) {
  try { return window.localStorage.getItem(key); } catch { return null; }
}
function remember(key, value) {
  try { window.localStorage.setItem(key, value); } catch { /* see recall */ }
}

export function currentLang() {
  return document.documentElement.lang === "en" ? "en" : "zh-CN";
}

export function tr(zh, en) {
  return currentLang() === "en" ? en : zh;
}

function askedLang() {
  const asked = new URLSearchParams(window.location.search).get("lang");
  if (asked === "en") return "en";
  if (asked === "zh" || asked === "zh-CN") return "zh-CN";
  return recall(LANG_KEY) === "en" ? "en" : "zh-CN";
}

function applyLang(lang) {
  const root = document.documentElement;
  root.lang = lang;
  for (const el of document.querySelectorAll("[data-en]")) {
    if (el.dataset.zh === undefined) el.dataset.zh = el.textContent;
    el.textContent = lang === "en" ? el.dataset.en : el.dataset.zh;
  }
  for (const name of ATTRIBUTES) {
    const enKey = `data-en-${name}`;
    const zhKey = `data-zh-${name}`;
    for (const el of document.querySelectorAll(`[${enKey}]`)) {
      if (!el.hasAttribute(zhKey)) el.setAttribute(zhKey, el.getAttribute(name) ?? "");
      el.setAttribute(name, el.getAttribute(lang === "en" ? enKey : zhKey));
    }
  }
  const button = document.getElementById("lang-switch");
  if (button) {
    // The button names the other language, in that language.
    button.textContent = lang === "en" ? "中文" : "English";
    button.lang = lang === "en" ? "zh-CN" : "en";
    button.setAttribute("aria-label", lang === "en" ? "切换到中文 Switch to Chinese" : "Switch to English 切换到英文");
  }
  const url = new URL(window.location.href);
  if (lang === "en") url.searchParams.set("lang", "en"); else url.searchParams.delete("lang");
  window.history.replaceState(window.history.state, "", url);
  document.dispatchEvent(new CustomEvent("shell:lang", { detail: { lang } }));
}

function applySenior(on) {
  document.documentElement.classList.toggle("senior", on);
  const button = document.getElementById("senior-switch");
  if (button) button.setAttribute("aria-pressed", String(on));
}

export function startShell() {
  applySenior(recall(SENIOR_KEY) === "on");
  applyLang(askedLang());
  document.getElementById("lang-switch")?.addEventListener("click", () => {
    const next = currentLang() === "en" ? "zh-CN" : "en";
    remember(LANG_KEY, next);
    applyLang(next);
  });
  document.getElementById("senior-switch")?.addEventListener("click", () => {
    const on = !document.documentElement.classList.contains("senior");
    remember(SENIOR_KEY, on ? "on" : "off");
    applySenior(on);
  });
}
