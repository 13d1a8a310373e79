// 一件事导办: the comprehensive window's one-thing finder. A client of intake's open routes, from this origin:
// GET /catalogue (the list), /catalogue/{code} (the one-thing as published), /catalogue/{code}/notice (R-09).
import { currentLang, startShell, tr } from "/shell/shell.js";
import { $, h } from "/shell/dom.js";

const LIFE = {
  person: ["个人 · 人生阶段", "A person's life"],
  enterprise: ["企业 · 生命周期", "An enterprise's life cycle"],
  project: ["工程建设项目", "A construction project"],
};
const PREFILL = {  // the catalogue's pre-fill sources (R-11), by the names applicants read
  population: ["人口基础信息库", "the population base registry"],
  enterprise: ["法人基础信息库", "the legal-person base registry"],
  licence: ["电子证照库", "the e-licence archive"],
};

const state = { catalogue: null, code: null, bundle: null, notice: null };

const name = (thing) => tr(thing.name_zh, thing.name_en);

class ApiError extends Error {
  constructor(zh, en) { super(en); this.zh = zh; this.en = en; }
  get text() { return tr(this.zh, this.en); }
}

async function getJSON(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError("无法连接受理服务，请稍后重试", "Cannot reach the intake service; try again shortly");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const said = body.detail && body.detail.message_zh ? body.detail : body;  // a refusal, or the 422 shape
    throw new ApiError(said.message_zh || `请求失败（${response.status}）`,
                       said.message_en || `The request failed (${response.status})`);
  }
  return body;
}

// ---- the list -------------------------------------------------------------------------------------------

function departments() {
  const seen = new Map();
  for (const b of state.catalogue.bundles) for (const d of b.departments) seen.set(d.code, d);
  return [...seen.values()].sort((a, b) => name(a).localeCompare(name(b), currentLang()));
}

function renderDepartmentOptions() {
  const select = $("dept");
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...departments().map((d) => h("option", { value: d.code }, name(d))));
  select.value = chosen;
}

function matches(bundle, words, life, dept) {
  if (life && bundle.life_cycle !== life) return false;
  if (dept && !bundle.departments.some((d) => d.code === dept)) return false;
  const text = `${bundle.code} ${bundle.name_zh} ${bundle.name_en}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

function renderResults() {
  const words = $("q").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const found = state.catalogue.bundles.filter((b) => matches(b, words, $("life").value, $("dept").value));
  const total = state.catalogue.bundles.length;
  $("count").textContent = tr(`共 ${total} 件一件事，找到 ${found.length} 件`,
                              `${found.length} of ${total} one-things`);
  $("results").replaceChildren(...found.map((b) => h("li", {},
    h("a", { href: `?code=${encodeURIComponent(b.code)}`, "data-code": b.code,
             "aria-current": b.code === state.code ? "true" : null },
      h("span", { class: "result-name" }, name(b)),
      h("span", { class: "result-meta" },
        h("span", { class: "badge info" }, tr(...LIFE[b.life_cycle])), " ",
        tr(`${b.code} · ${b.items} 个事项 · 牵头：${b.lead_name_zh}`,
           `${b.code} · ${b.items} items · lead: ${b.lead_name_en}`))))));
  if (!found.length) {
    $("results").append(h("li", { class: "note" }, tr("没有找到。换个关键词，或放宽人生阶段、部门的条件。",
                                                      "Nothing found. Try another word, or widen the life event or department.")));
  }
}

// ---- one one-thing --------------------------------------------------------------------------------------

function itemName(code) {
  const item = state.bundle.items.find((i) => i.code === code);
  if (!item) return code;
  return tr(`「${item.name_zh}」`, `“${item.name_en}”`);
}

function departmentName(code) {
  const listed = state.catalogue.bundles.find((b) => b.code === state.code);
  const unit = listed && listed.departments.find((d) => d.code === code);
  return unit ? name(unit) : code;
}

function joins(item) {
  const lines = item.requires.map((code) => h("li", {}, h("span", { class: "badge warn" }, tr("前置", "Prerequisite")),
    tr(`须先办结${itemName(code)}，本事项才能办理`, `${itemName(code)} must be completed first`)));
  const needers = state.bundle.items.filter((other) => other.requires.includes(item.code));
  for (const other of needers) {
    lines.push(h("li", {}, h("span", { class: "badge warn" }, tr("被依赖", "Needed by")),
      tr(`${itemName(other.code)}以本事项为前置`, `${itemName(other.code)} needs this item first`)));
  }
  for (const group of state.bundle.together || []) {
    if (!group.includes(item.code)) continue;
    const others = group.filter((code) => code !== item.code).map(itemName).join(tr("、", ", "));
    lines.push(h("li", {}, h("span", { class: "badge warn" }, tr("一并办理", "Together")),
      tr(`须与${others}一并办理`, `applied for together with ${others}`)));
  }
  return lines.length ? h("ul", { class: "joins" }, lines) : null;
}

function renderItems() {
  const selected = new Set(state.notice ? state.notice.items.map((i) => i.code) : []);
  $("items").replaceChildren(...state.bundle.items.map((item) => {
    const id = `item-${item.code}`;
    return h("li", {},
      h("div", { class: "item-head" },
        h("input", { type: "checkbox", id, value: item.code, checked: selected.has(item.code) }),
        h("label", { for: id }, name(item))),
      h("p", { class: "item-meta" },
        `${item.code} · ${departmentName(item.department)} · `,
        tr(`法定时限 ${item.time_limit_days} 个工作日`, `statutory limit ${item.time_limit_days} working days`),
        item.yields_licence ? h("span", { class: "badge ok" }, tr("办结出电子证照", "yields an e-licence")) : null),
      joins(item));
  }));
  for (const box of $("items").querySelectorAll("input[type=checkbox]")) box.addEventListener("change", reselect);
}

function renderAdded() {
  const added = state.notice ? state.notice.added : [];
  $("added").hidden = !added.length;
  $("added").replaceChildren(
    h("p", {}, h("strong", {}, tr("已自动保留的事项", "Items kept for you"))),
    h("ul", {}, added.map((a) => h("li", {}, tr(a.message_zh, a.message_en)))));
}

function materialHow(m, notice) {
  if (!m.submit) {
    return [h("span", { class: "badge ok" }, tr("数据共享 · 免提交", "Data sharing · not asked")),
            tr(`由${m.shared_by.name_zh}共享获取`, `fetched from ${m.shared_by.name_en}`)];
  }
  const how = [tr("申请人提交", "the applicant submits it")];
  if (m.licence) {
    how.push(h("br"), h("span", { class: "badge info" }, tr("电子证照 · 免提交", "E-licence · not asked")),
             tr(`经申请人授权，以「${m.licence.name_zh}」电子证照代替`,
                `with the applicant's consent, their e-licence "${m.licence.name_en}" proves it`));
  }
  if (m.tolerable) {
    how.push(h("br"), h("span", { class: "badge warn" }, tr("可容缺", "May follow")),
             tr(`受理后 ${notice.tolerance_supplement_days} 个工作日内补齐`,
                `within ${notice.tolerance_supplement_days} working days of acceptance`));
  }
  if (m.commitment_allowed) {
    how.push(h("br"), h("span", { class: "badge warn" }, tr("可告知承诺", "By commitment")),
             tr(`以书面承诺代替，${notice.commitment_verification_days} 个工作日内核查`,
                `a written commitment instead, checked within ${notice.commitment_verification_days} working days`));
  }
  return how;
}

function table(caption, head, rows) {
  return h("table", {}, h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, head.map((cell) => h("th", { scope: "col" }, cell)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell))))));
}

function renderNotice() {
  const n = state.notice;
  const body = $("notice-body");
  if (!n) { body.replaceChildren(); return; }
  const asked = n.materials.filter((m) => m.submit);
  const shared = n.materials.length - asked.length;
  const proven = asked.filter((m) => m.licence).length;
  const d = n.deadline;
  body.replaceChildren(...[
    h("h4", {}, tr("一、事项、条件与时限", "1. Items, conditions and time limits")),
    table(tr("事项与时限", "Items and limits"),
      [tr("事项", "Item"), tr("办理部门", "Department"), tr("受理条件", "Conditions"),
       tr("时限（工作日）", "Limit (working days)"), tr("收费", "Fee"), tr("办理结果", "Result")],
      n.items.map((i) => [name(i), name(i.department), h("ul", { class: "plain" },
        tr(i.conditions_zh, i.conditions_en).map((c) => h("li", {}, c))),
        [tr(`法定 ${i.time_limit_days}`, `statutory ${i.time_limit_days}`), h("br"),
         tr(`承诺 ${i.promised_limit_days}`, `promised ${i.promised_limit_days}`)],
        tr(i.fee_zh, i.fee_en), tr(i.result_zh, i.result_en)])),
    h("h4", {}, tr("二、一套材料", "2. One set of materials")),
    h("p", { id: "materials-summary" }, tr(
      `共 ${n.materials.length} 项：申请人提交 ${asked.length} 项（其中 ${proven} 项可用电子证照免提交），数据共享免提交 ${shared} 项。`,
      `${n.materials.length} in all: ${asked.length} from the applicant (${proven} of them provable by an e-licence), ${shared} fetched by data sharing.`)),
    table(tr("一套材料", "One set of materials"),
      [tr("材料", "Material"), tr("怎样提供", "How it is provided"), tr("用于事项", "For")],
      n.materials.map((m) => [name(m), h("div", { class: "how" }, materialHow(m, n)),
        m.for_items.map((i) => itemName(i.code)).join(tr("、", ", "))])),
    h("h4", {}, tr("三、一张表单", "3. One form")),
    h("ul", { class: "fields" }, n.form.map((f) => h("li", {}, tr(f.label_zh, f.label_en), " ",
      h("span", { class: "note" }, f.required ? tr("必填", "required") : tr("选填", "optional")),
      f.prefill ? h("span", { class: "badge ok" }, tr(`授权后自动预填（${(PREFILL[f.prefill] || [f.prefill])[0]}）`,
        `pre-filled once authorised, from ${(PREFILL[f.prefill] || [null, f.prefill])[1]}`)) : null))),
    h("h4", {}, tr("四、办结时限", "4. When it is done")),
    h("p", { id: "deadline" }, tr(
      `承诺 ${d.limit_days} 个工作日内办结（各事项法定时限合计 ${d.statutory_days} 个工作日）。${d.rule_zh}。如今日受理，预计 ${d.due_on_if_accepted_today} 前办结；等待补正期间暂停计时。`,
      `Done within ${d.limit_days} working days (the items' statutory limits add up to ${d.statutory_days}). ${d.rule_en}. Accepted today, it is due by ${d.due_on_if_accepted_today}; the clock pauses while a correction is awaited.`)),
    d.due_on_provisional ? h("p", { class: "note" }, tr(d.provisional_note_zh, d.provisional_note_en)) : null,
    h("h4", {}, tr("五、收费", "5. Fees")),
    h("p", {}, tr(`合计 ${n.fees.total_yuan} 元。`, `${n.fees.total_yuan} yuan in all.`)),
    h("h4", {}, tr("六、办理流程", "6. How it goes")),
    h("ol", {}, n.process.map((p) => h("li", {}, tr(p.zh, p.en)))),
    h("h4", {}, tr("七、渠道与帮办代办", "7. Channels and help")),
    h("p", {}, tr(`${n.channels_zh}。${n.proxy_free_zh}。`, `${n.channels_en}. ${n.proxy_free_en}.`)),
  ].filter(Boolean));
}

function renderDetail() {
  const b = state.bundle;
  $("detail").hidden = !b;
  if (!b) return;
  $("detail-title").textContent = tr(`${b.name_zh}（${b.code}）`, `${b.name_en} (${b.code})`);
  const lead = state.notice ? name(state.notice.lead) : b.lead;
  const co = state.notice ? state.notice.co.map(name).join(tr("、", ", ")) : b.co.join(", ");
  $("detail-units").textContent = tr(`牵头单位：${lead}；配合单位：${co || "无"}`,
                                     `Lead: ${lead}; with: ${co || "none"}`);
  $("detail-print").href = `/catalogue/${encodeURIComponent(b.code)}/notice?format=html` +
    (state.notice ? state.notice.items.map((i) => `&items=${encodeURIComponent(i.code)}`).join("") : "");
  // The items as selected here go with the clerk to the acceptance screen (综合窗口 · 一窗受理).
  const items = state.notice ? state.notice.items.map((i) => i.code).join(",") : "";
  $("detail-window").href = `/window/?bundle=${encodeURIComponent(b.code)}${items ? `&items=${encodeURIComponent(items)}` : ""}`;
  renderItems();
  renderAdded();
  renderNotice();
}

async function loadNotice(items) {
  const query = items ? items.map((c) => `items=${encodeURIComponent(c)}`).join("&") : "";
  return getJSON(`/catalogue/${encodeURIComponent(state.code)}/notice${query ? `?${query}` : ""}`);
}

function showNoticeError(error) {
  $("notice-error").hidden = !error;
  $("notice-error").textContent = error ? error.text : "";
}

async function reselect() {
  const ticked = [...$("items").querySelectorAll("input:checked")].map((box) => box.value);
  if (!ticked.length) {
    showNoticeError(new ApiError("请至少选择一个事项", "Select at least one item"));
    return;
  }
  try {
    state.notice = await loadNotice(ticked);
    showNoticeError(null);
  } catch (error) {
    showNoticeError(error);
    return;
  }
  const focused = document.activeElement && document.activeElement.id;
  renderDetail();
  if (focused) $(focused)?.focus();  // the list was drawn again: keep the clerk where they were
}

async function choose(code, { push, focus }) {
  state.code = code;
  try {
    const [bundle, notice] = await Promise.all([getJSON(`/catalogue/${encodeURIComponent(code)}`), loadNotice(null)]);
    state.bundle = bundle;
    state.notice = notice;
    showNoticeError(null);
  } catch (error) {
    state.bundle = null;
    state.notice = null;
    $("load-error").hidden = false;
    $("load-error").textContent = error.text;
    renderResults();
    return;
  }
  $("load-error").hidden = true;
  if (push) {
    const url = new URL(window.location.href);
    url.searchParams.set("code", code);
    window.history.pushState({ code }, "", url);
  }
  renderResults();
  renderDetail();
  if (focus) $("detail-title").focus();
}

async function start() {
  startShell();
  try {
    state.catalogue = await getJSON("/catalogue");
  } catch (error) {
    $("load-error").hidden = false;
    $("load-error").textContent = error.text;
    return;
  }
  renderDepartmentOptions();
  renderResults();
  $("finder").addEventListener("submit", (event) => {
    event.preventDefault();  // Enter in the search box: go to the first one-thing found
    $("results").querySelector("a")?.focus();
  });
  $("q").addEventListener("input", renderResults);
  $("life").addEventListener("change", renderResults);
  $("dept").addEventListener("change", renderResults);
  $("results").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-code]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;  // a new tab is the browser's job
    event.preventDefault();
    choose(link.dataset.code, { push: true, focus: true });
  });
  window.addEventListener("popstate", () => {
    const code = new URLSearchParams(window.location.search).get("code");
    if (code) choose(code, { push: false, focus: false });
    else { state.code = state.bundle = state.notice = null; renderResults(); renderDetail(); }
  });
  document.addEventListener("shell:lang", () => {
    renderDepartmentOptions();
    renderResults();
    renderDetail();
  });
  const code = new URLSearchParams(window.location.search).get("code");
  if (code) await choose(code, { push: false, focus: false });
  document.body.dataset.ready = "true";  // for tests and kiosks: the catalogue is in
}

start();
