// Signing in from a screen (网页登录): OAuth 2.0 authorization code with PKCE at the identity platform
// (统一身份认证), as a public client. The token is kept for this tab only (sessionStorage: a hall's shared computer
// forgets it when the tab closes) and sent by api() as a bearer token; a 401 signs the person out.
//
//   import { signIn, finishSignIn, session, api, serviceUrl, signOut } from "/shell/session.js";
//   const me = await finishSignIn();      // on load: completes a sign-in coming back with ?code=…
//   if (!me) signIn("clerk");             // goes to the identity platform, comes back here signed in
//   const answer = await api("/cases", { method: "POST", json: body });
//   await api(await serviceUrl("licence", `/licences/${id}`));   // another service of the system (CORS)

import { currentLang } from "./shell.js";

const CLIENT_ID = "onething-screens";
const SESSION_KEY = "onething.session";
const PENDING_KEY = "onething.sign-in";
const EXPIRY_MARGIN_S = 30;

export class SignInNeeded extends Error {
  constructor() { super("sign-in needed 需要登录"); this.name = "SignInNeeded"; }
}

let linksLoaded = null;

/** Where the system's services and its identity platform answer ({intake: "http://…", identity: "http://…"}). */
export function links() {
  linksLoaded ??= fetch("/screen-links.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  return linksLoaded;
}

/** A URL on another service of the system (or this page's own origin when it is not known). */
export async function serviceUrl(service, path = "") {
  const base = (await links())[service];
  return `${base ?? ""}${path}`;
}

function stored(storageKey) {
  try { return JSON.parse(window.sessionStorage.getItem(storageKey) ?? "null"); } catch { return null; }
}
function store(storageKey, value) {
  try {
    if (value === null) window.sessionStorage.removeItem(storageKey);
    else window.sessionStorage.setItem(storageKey, JSON.stringify(value));
  } catch { /* storage refused: the sign-in lasts for this page only */ }
}

function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
function randomText(length) {
  return base64url(crypto.getRandomValues(new Uint8Array(length)));
}
function claimsOf(token) {
  const middle = token.split(".")[1] ?? "";
  const padded = middle.replaceAll("-", "+").replaceAll("_", "/");
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}
function pageAddress() {
  return `${window.location.origin}${window.location.pathname}`;
}

/** The signed-in person ({token, claims, roles}) or null; an expired token counts as none. */
export function session() {
  const kept = stored(SESSION_KEY);
  if (!kept || !kept.token || kept.expires_at - EXPIRY_MARGIN_S <= Date.now() / 1000) return null;
  return kept;
}

export function signOut() {
  store(SESSION_KEY, null);
}

/** To the identity platform to sign in as one of ``roles`` ("clerk", "applicant clerk", …); back here after. */
export async function signIn(roles) {
  const identity = (await links()).identity;
  if (!identity) throw new Error("no identity platform configured (screen-links.json has no identity)");
  const verifier = randomText(48);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const state = randomText(24);
  const here = new URL(window.location.href);
  store(PENDING_KEY, { verifier, state, redirect_uri: pageAddress(), back: here.search + here.hash });
  const asked = new URLSearchParams({
    response_type: "code", client_id: CLIENT_ID, redirect_uri: pageAddress(), scope: roles, state,
    code_challenge: base64url(new Uint8Array(digest)), code_challenge_method: "S256", ui_locales: currentLang(),
  });
  window.location.assign(`${identity}/oauth/authorize?${asked}`);
}

/** On load: completes a sign-in coming back with ?code=…&state=… (and takes them off the address). The
 *  session, or null when nobody is signed in (cancelled, refused, or the platform could not be reached). */
export async function finishSignIn() {
  const here = new URL(window.location.href);
  const code = here.searchParams.get("code");
  const error = here.searchParams.get("error");
  if (!code && !error) return session();
  const pending = stored(PENDING_KEY);
  store(PENDING_KEY, null);
  const back = pending?.back ?? "";
  window.history.replaceState(window.history.state, "", `${pageAddress()}${back}`);
  if (!pending || here.searchParams.get("state") !== pending.state) return session();  // not this tab's sign-in
  if (error) return session();  // cancelled at the platform
  try {
    const identity = (await links()).identity;
    const answer = await fetch(`${identity}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code, redirect_uri: pending.redirect_uri, client_id: CLIENT_ID,
        code_verifier: pending.verifier,
      }),
    });
    if (!answer.ok) return null;
    const issued = await answer.json();
    const claims = claimsOf(issued.access_token);
    const kept = { token: issued.access_token, claims, roles: claims.roles ?? [], expires_at: claims.exp };
    store(SESSION_KEY, kept);
    return kept;
  } catch {
    return null;  // the platform unreachable, or an answer that is no token: signed out, the page says so
  }
}

/** fetch() with the session's bearer token; ``json`` is sent as a JSON body. A 401 forgets the session and
 *  throws SignInNeeded; every other answer is returned as is. */
export async function api(url, { json, headers, ...init } = {}) {
  const current = session();
  const sent = new Headers(headers ?? {});
  sent.set("Accept", "application/json");
  if (current) sent.set("Authorization", `Bearer ${current.token}`);
  if (json !== undefined) {
    sent.set("Content-Type", "application/json");
    init.body = JSON.stringify(json);
  }
  const answer = await fetch(url, { ...init, headers: sent });
  if (answer.status === 401 && current) {
    signOut();
    throw new SignInNeeded();
  }
  return answer;
}

/** Who is signed in, in the page's language: "窗口 W01 · S001", "申请人 张三", "监察人员"… */
export function describe(current) {
  const c = current.claims;
  const zh = { clerk: "窗口人员", kiosk: "自助终端", applicant: "申请人", supervisor: "监察人员", operator: "运维人员",
    analyst: "分析人员" };
  const en = { clerk: "Clerk", kiosk: "Kiosk", applicant: "Applicant", supervisor: "Supervisor", operator: "Operator",
    analyst: "Analyst" };
  const role = current.roles[0] ?? "";
  const names = currentLang() === "en" ? en : zh;
  const detail = [c.window_id, c.staff_id, role === "applicant" ? c.name : null].filter(Boolean).join(" · ");
  return detail ? `${names[role] ?? role} ${detail}` : (names[role] ?? role);
}

/** The header's sign-in corner in ``container``: who is signed in and a sign-out button, or a sign-in button
 *  (for ``roles``). ``changed`` runs after signing out. Written again when the language changes. */
export function showSession(container, roles, changed = () => {}) {
  const draw = () => {
    const current = session();
    container.replaceChildren();
    const button = document.createElement("button");
    button.type = "button";
    button.className = "shell-switch";
    if (current) {
      const who = document.createElement("span");
      who.className = "shell-who";
      who.textContent = `${currentLang() === "en" ? "Signed in: " : "已登录："}${describe(current)}`;
      button.id = "sign-out";
      button.textContent = currentLang() === "en" ? "Sign out" : "退出";
      button.addEventListener("click", () => { signOut(); draw(); changed(); });
      container.append(who, button);
    } else {
      button.id = "sign-in";
      button.textContent = currentLang() === "en" ? "Sign in" : "登录";
      button.addEventListener("click", () => signIn(roles));
      container.append(button);
    }
  };
  draw();
  document.addEventListener("shell:lang", draw);
}
