// 网上办事大厅: the applicant's portal. An ordinary client of the system's APIs with the applicant's own token
// (session.js's api()): intake here (/catalogue, /drafts, /cases, /my/cases), licence and rating on their own
// origins (serviceUrl). Everything personal it shows is the applicant's own: the services answer nothing else.
import { startShell, tr } from "/shell/shell.js";
import { $, fileField, h } from "/shell/dom.js";
import { api, finishSignIn, serviceUrl, session, showSession, signIn, SignInNeeded } from "/shell/session.js";

const REFRESH_MS = 2000;  // an open case not yet delivered is read again this often (进度可查)
const DRAFT_WAIT_MS = 10000;  // how long the registries may take to answer a pre-fill
const ITEM_STATUS = {
  waiting: ["等待办理", "Waiting"], released: ["部门办理中", "With the department"],
  approved: ["已办结（准予）", "Done: approved"], rejected: ["已办结（不予）", "Done: refused"],
  not_processed: ["未办理（前置事项未通过）", "Not handled: a prerequisite failed"],
};
const FINAL = ["approved", "rejected", "not_processed"];  // an item's states that end it
const CASE_STATUS = {
  accepted: ["已受理", "Accepted"], in_progress: ["办理中", "In progress"],
  awaiting_correction: ["待补正", "Awaiting your correction"], delivered: ["已送达", "Delivered"],
};
const LEVELS = [
  ["very_satisfied", "非常满意", "Very satisfied"], ["satisfied", "满意", "Satisfied"],
  ["basically_satisfied", "基本满意", "Fairly satisfied"], ["dissatisfied", "不满意", "Dissatisfied"],
  ["very_dissatisfied", "非常不满意", "Very dissatisfied"],
];
const TOUCHPOINT = { acceptance: ["受理", "Acceptance"], item: ["事项办理", "Handling of"],
                     delivery: ["整件事 · 办结送达", "The whole one-thing · delivery"] };
const LICENCE_STATE = { active: ["有效", "In force"], revoked: ["已撤销", "Revoked"], suspended: ["已暂停使用", "Suspended"],
                        expired: ["已过有效期", "Expired"] };

const state = {
  me: null, catalogue: null, bundles: new Map(), notice: null, draftId: null, prefilled: {}, typed: {},
  idempotencyKey: null, cases: [], tags: [], caseId: null, caseDetail: null, touchpoints: [], licences: [], refresher: null,
};

const named = (thing) => tr(thing.name_zh, thing.name_en);
const pair = (texts, fallback) => (texts ? tr(texts[0], texts[1]) : fallback);
const when = (instant) => new Date(instant).toLocaleString(tr("zh-CN", "en-GB"), { dateStyle: "medium", timeStyle: "short" });

class Refused extends Error {
  // status: the service's answer, or 0 when none came (the request may or may not have been done)
  constructor(zh, en, problems = [], status = 0) {
    super(en); this.zh = zh; this.en = en; this.problems = problems; this.status = status;
  }
  get text() { return tr(this.zh, this.en); }
}

/** A JSON answer of one of the system's services, or Refused saying why in both languages. */
async function call(url, init = {}) {
  let answer;
  try {
    answer = await api(url, init);
  } catch (error) {
    if (error instanceof SignInNeeded) { showSignedOut(); throw new Refused("登录已过期，请重新登录", "Your sign-in expired; sign in again"); }
    throw new Refused("无法连接服务，请稍后重试", "Cannot reach the service; try again shortly");
  }
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const said = body.detail && body.detail.message_zh ? body.detail : body;
    throw new Refused(said.message_zh || `请求失败（${answer.status}）`, said.message_en || `The request failed (${answer.status})`,
                      said.problems || [], answer.status);
  }
  return body;
}

function say(zh, en) { $("status").textContent = tr(zh, en); }
function showError(error) {
  $("error").hidden = !error;
  $("error").textContent = error ? (error.text ?? String(error)) : "";
}

// ---- signing in --------------------------------------------------------------------------------------------

function showSignedOut() {
  state.me = null;
  stopRefreshing();
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
}

function applicantSession() {
  const current = session();
  return current && current.roles.includes("applicant") ? current : null;
}

function maskedId(id) { return id && id.length > 10 ? `${id.slice(0, 6)}********${id.slice(-4)}` : id; }

// ---- applying ----------------------------------------------------------------------------------------------

function renderBundleOptions() {
  const select = $("bundle");
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...state.catalogue.bundles.map((b) =>
    h("option", { value: b.code }, tr(`${b.name_zh}（${b.code}）`, `${b.name_en} (${b.code})`))));
  select.value = chosen;
}

async function bundle(code) {
  if (!state.bundles.has(code)) state.bundles.set(code, await call(`/catalogue/${encodeURIComponent(code)}`));
  return state.bundles.get(code);
}

async function notice(code, items) {
  const query = (items || []).map((c) => `items=${encodeURIComponent(c)}`).join("&");
  return call(`/catalogue/${encodeURIComponent(code)}/notice${query ? `?${query}` : ""}`);
}

async function chooseBundle() {
  const code = $("bundle").value;
  state.notice = null;
  state.draftId = null;
  state.prefilled = {};
  state.idempotencyKey = null;
  $("application").hidden = !code;
  if (!code) return;
  try {
    await bundle(code);
    state.notice = await notice(code, null);
    showError(null);
  } catch (error) { showError(error); return; }
  renderApplication();
}

async function reselect() {
  const ticked = [...$("items").querySelectorAll("input:checked")].map((box) => box.value);
  if (!ticked.length) { showError(new Refused("请至少选择一个事项", "Select at least one item")); return; }
  rememberTyped();
  try {
    state.notice = await notice(state.notice.bundle_code, ticked);
    state.draftId = null;  // a pre-fill is for the items it was asked for
    showError(null);
  } catch (error) { showError(error); return; }
  const focused = document.activeElement && document.activeElement.id;
  renderApplication();
  if (focused) $(focused)?.focus();
}

function rememberTyped() {
  for (const input of $("form-fields").querySelectorAll("[data-field]")) state.typed[input.dataset.field] = input.value;
}

/** A labelled input of the one form, as the catalogue describes the field (a date, a choice, text). */
function fieldInput(field, value = "", prefilled = false, prefix = "field") {
  const id = `${prefix}-${field.name}`;
  const common = { id, "data-field": field.name, required: field.required, "aria-describedby": `${id}-problem` };
  let input;
  if (field.type === "enum") {
    input = h("select", common, h("option", { value: "" }, tr("请选择", "Choose")),
      field.options.map((o) => h("option", { value: o }, o)));
  } else {
    const type = field.type === "date" ? "date" : field.type === "phone" ? "tel" : "text";
    input = h("input", { ...common, type, autocomplete: "off", spellcheck: "false" });
  }
  input.value = value;
  return h("div", { class: "portal-field" },
    h("label", { for: id }, tr(field.label_zh, field.label_en),
      field.required ? h("span", { class: "required" }, tr("（必填）", " (required)")) : null,
      prefilled ? h("span", { class: "badge ok" }, tr("已预填，请核对", "pre-filled: check it")) : null),
    input,
    h("p", { id: `${id}-problem`, class: "problem", hidden: true }));
}

function materialChoice(material) {
  const group = `material-${material.code}`;
  const options = [["upload", tr("上传文件", "Upload a file")]];
  if (material.commitment_allowed) options.push(["commitment", tr("告知承诺代替", "A written commitment instead")]);
  if (material.tolerable) options.push(["deferred", tr(`容缺后补（受理后 ${state.notice.tolerance_supplement_days} 个工作日内）`,
    `Later (within ${state.notice.tolerance_supplement_days} working days of acceptance)`)]);
  return h("li", {},
    h("fieldset", { class: "portal-material", "data-material": material.code },
      h("legend", {}, named(material), h("span", { class: "note" }, ` · ${material.code}`)),
      h("p", { class: "note" }, tr(`用于：${material.for_items.map((i) => i.name_zh).join("、")}`,
                                   `For: ${material.for_items.map((i) => i.code).join(", ")}`)),
      h("div", { class: "portal-radios" }, options.map(([value, text], n) => h("label", { class: "inline" },
        h("input", { type: "radio", name: group, value, checked: n === 0 }), " ", text))),
      h("label", { for: `${group}-file` }, tr("选择文件", "Choose the file")),
      fileField({ id: `${group}-file`, "aria-describedby": `${group}-problem` }),
      h("p", { id: `${group}-problem`, class: "problem", hidden: true })));
}

function renderApplication() {
  const n = state.notice;
  const kept = new Set(n.items.map((i) => i.code));
  const full = state.bundles.get(n.bundle_code);
  $("items").replaceChildren(...full.items.map((item) => h("li", {},
    h("label", { class: "inline" }, h("input", { type: "checkbox", value: item.code, checked: kept.has(item.code),
                                                  onchange: reselect }), " ", named(item)))));
  $("added").hidden = !n.added.length;
  $("added").replaceChildren(...n.added.map((a) => h("p", {}, tr(a.message_zh, a.message_en))));
  const asked = n.materials.filter((m) => m.submit);
  $("notice-summary").textContent = tr(
    `承诺 ${n.deadline.limit_days} 个工作日内办结（法定合计 ${n.deadline.statutory_days} 个工作日），今日提交预计 ${n.deadline.due_on_if_accepted_today} 前办结；需提交材料 ${asked.length} 项，其余 ${n.materials.length - asked.length} 项由部门共享获取；收费 ${n.fees.total_yuan} 元。`,
    `Done within ${n.deadline.limit_days} working days (statutory ${n.deadline.statutory_days}); submitted today, due by ${n.deadline.due_on_if_accepted_today}. ${asked.length} materials from you, ${n.materials.length - asked.length} shared by departments; fees ${n.fees.total_yuan} yuan.`);
  const me = state.me.claims;
  $("who").textContent = tr(`申请人：${me.name ?? ""}（${maskedId(me.id_number)}），取自您的登录身份`,
                            `Applicant: ${me.name ?? ""} (${maskedId(me.id_number)}), from your sign-in`);
  $("form-fields").replaceChildren(...n.form.map((f) => fieldInput(
    f, state.typed[f.name] ?? state.prefilled[f.name]?.value ?? "", Boolean(state.prefilled[f.name]))));
  $("materials").replaceChildren(...asked.map(materialChoice));
  if (!asked.length) $("materials").append(h("li", { class: "note" }, tr("无需提交材料。", "No material is asked of you.")));
}

async function prefill() {
  rememberTyped();
  const codes = state.notice.items.map((i) => i.code);
  say("正在调取共享数据……", "Fetching shared data…");
  try {
    let draft = await call("/drafts", { method: "POST", json: {
      bundle_code: state.notice.bundle_code, items: codes, channel: "portal", authorisation: { granted: true } } });
    const until = Date.now() + DRAFT_WAIT_MS;
    while (!draft.ready && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      draft = await call(`/drafts/${encodeURIComponent(draft.draft_id)}`);
    }
    state.draftId = draft.draft_id;
    state.prefilled = draft.prefilled;
    for (const name of Object.keys(draft.prefilled)) delete state.typed[name];  // the registry's value, to check
    const count = Object.keys(draft.prefilled).length;
    say(`已预填 ${count} 项，请核对`, `${count} fields pre-filled: please check them`);
    showError(null);
  } catch (error) { showError(error); say("", ""); return; }
  renderApplication();
  $("form-fields").querySelector("input, select")?.focus();
}

async function digest(file) {
  const bytes = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return `sha256:${[...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The materials as the API takes them; a problem is shown by the material and null returned. */
async function collectMaterials(container) {
  const materials = {};
  let complete = true;
  for (const set of container.querySelectorAll("[data-material]")) {
    const code = set.dataset.material;
    const provision = set.querySelector("input[type=radio]:checked")?.value ?? "upload";
    const file = set.querySelector("input[type=file]").files[0];
    const problem = set.querySelector(".problem");
    problem.hidden = true;
    if (provision === "upload" && !file) {
      problem.hidden = false;
      problem.textContent = tr("请选择要上传的文件", "Choose the file to upload");
      complete = false;
      continue;
    }
    materials[code] = provision === "upload" ? { provision, document: await digest(file) } : { provision };
  }
  return complete ? materials : null;
}

/** Each problem the API named by its path, shown by its field or material; ids are ``<prefix>-<name>``. */
function showProblems(container, problems, { field = "field", material = "material" } = {}) {
  for (const el of container.querySelectorAll(".problem")) el.hidden = true;
  for (const el of container.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  let first = null;
  for (const p of problems) {
    const [kind, name] = p.path.split(".");
    const id = kind === "form" ? `${field}-${name}` : kind === "materials" ? `${material}-${name}-file` : null;
    const where = id && container.querySelector(`#${CSS.escape(id)}`);
    const note = id && container.querySelector(`#${CSS.escape(`${id.replace(/-file$/, "")}-problem`)}`);
    if (!where || !note) continue;
    where.setAttribute("aria-invalid", "true");
    note.hidden = false;
    note.textContent = tr(p.message_zh, p.message_en);
    first ??= where;
  }
  first?.focus();
}

async function submitApplication(event) {
  event.preventDefault();
  rememberTyped();
  const materials = await collectMaterials($("materials"));
  if (!materials) { $("materials").querySelector(".problem:not([hidden])")?.closest("fieldset")?.querySelector("input")?.focus(); return; }
  const form = Object.fromEntries(Object.entries(state.typed).filter(([name, value]) =>
    value.trim() && state.notice.form.some((f) => f.name === name)));
  const me = state.me.claims;
  const body = {
    bundle_code: state.notice.bundle_code, items: state.notice.items.map((i) => i.code),
    applicant: { name: me.name, id_number: me.id_number }, form, materials, channel: "portal",
    delivery: $("delivery").value === "mail" ? { method: "mail", address: $("address").value } : { method: "window" },
  };
  if (state.draftId) Object.assign(body, { draft_id: state.draftId, prefill_confirmed: true });
  // One key per application: a retry after a lost answer gets the same case, never a second one.
  state.idempotencyKey ??= crypto.randomUUID();
  $("submit").disabled = true;
  try {
    const created = await call("/cases", { method: "POST", json: body, headers: { "Idempotency-Key": state.idempotencyKey } });
    state.idempotencyKey = null;
    state.typed = {};
    showError(null);
    $("bundle").value = "";
    $("application").hidden = true;
    say(`申请已提交，办件号 ${created.case_id}`, `Application submitted: case ${created.case_id}`);
    await loadCases();
    await openCase(created.case_id, { focus: true });
  } catch (error) {
    // Refused outright: nothing was made, and the corrected application is a new request. No answer at all: the
    // same key again, so a retry cannot make a second case.
    if (error.status) state.idempotencyKey = null;
    showError(error);
    if (error.problems) showProblems($("application"), error.problems);
  } finally {
    $("submit").disabled = false;
  }
}

// ---- my cases ----------------------------------------------------------------------------------------------

async function loadCases() {
  state.cases = await call("/my/cases");
  renderCases();
}

function renderCases() {
  $("case-list").replaceChildren(...state.cases.map((c) => h("li", {},
    h("button", { type: "button", class: "portal-case", "data-case": c.case_id,
                  "aria-current": c.case_id === state.caseId ? "true" : null,
                  onclick: () => openCase(c.case_id, { focus: true }) },
      h("span", { class: "portal-case-name" }, tr(c.name_zh, c.name_en)),
      h("span", { class: "note" }, ` ${c.case_id} `),
      h("span", { class: `badge ${c.awaiting_correction ? "warn" : c.status === "delivered" ? "ok" : "info"}` },
        pair(CASE_STATUS[c.status], c.status_zh)),
      c.due_on && c.status !== "delivered" ? h("span", { class: "note" }, tr(` 预计 ${c.due_on} 前办结`, ` due by ${c.due_on}`)) : null,
      c.as_proxy ? h("span", { class: "note" }, tr("（代办）", " (as proxy)")) : null))));
  if (!state.cases.length) $("case-list").append(h("li", { class: "note" }, tr("还没有办件。", "No cases yet.")));
}

function stopRefreshing() {
  if (state.refresher) clearTimeout(state.refresher);
  state.refresher = null;
}

async function openCase(caseId, { focus }) {
  stopRefreshing();
  state.caseId = caseId;
  try {
    state.caseDetail = await call(`/cases/${encodeURIComponent(caseId)}`);
    await bundle(state.caseDetail.bundle_code);
    state.touchpoints = state.caseDetail.status === "delivered" ? await loadTouchpoints(caseId) : [];
    showError(null);
  } catch (error) { showError(error); return; }
  renderCases();
  renderCase();
  if (focus) $("case-title").focus();
  if (state.caseDetail.status !== "delivered") state.refresher = setTimeout(refreshCase, REFRESH_MS);
}

async function refreshCase() {
  const before = state.caseDetail;
  try {
    const now = await call(`/cases/${encodeURIComponent(state.caseId)}`);
    if (now.timeline.length !== before.timeline.length || now.status !== before.status) {
      state.caseDetail = now;
      if (now.status === "delivered") {
        state.touchpoints = await loadTouchpoints(now.case_id);
        await loadLicences();
      }
      const summary = state.cases.find((c) => c.case_id === now.case_id);
      if (summary) Object.assign(summary, { status: now.status, awaiting_correction: now.correction !== null });
      renderCases();
      renderCase({ keepCorrection: true });
      say(`办件 ${now.case_id} 有新进度：${now.status_zh}`, `Case ${now.case_id} moved on: ${pair(CASE_STATUS[now.status], now.status)}`);
    }
  } catch { /* a missed refresh is tried again */ }
  if (state.caseDetail.status !== "delivered") state.refresher = setTimeout(refreshCase, REFRESH_MS);
}

function itemName(code) {
  const item = state.caseDetail.items.find((i) => i.item_code === code);
  return item ? tr(`「${item.name_zh}」`, `“${item.name_en}”`) : code;
}

/** Who the item waits on: the applicant's correction, a prerequisite item not done yet, or its department. */
function waitingOn(item) {
  const c = state.caseDetail;
  if (FINAL.includes(item.status)) {
    return item.document_no ? tr(`已出文书 ${item.document_no}`, `Result issued: ${item.document_no}`)
      : tr("已结束", "Finished");
  }
  if (c.correction) return h("strong", {}, tr("等待您补正", "Your correction"));
  if (item.status === "released") return tr(`${item.department_name_zh}办理中`, `${item.department_name_en} is handling it`);
  const spec = state.bundles.get(c.bundle_code).items.find((i) => i.code === item.item_code);
  const before = (spec?.requires || []).filter((code) => {
    const other = c.items.find((i) => i.item_code === code);
    return other && other.status !== "approved";
  });
  if (before.length) return tr(`须先办结${before.map(itemName).join("、")}`, `${before.map(itemName).join(", ")} first`);
  return tr("等待派发", "Being sent to the department");
}

// Today in China (YYYY-MM-DD), which the due dates are counted in.
const chinaToday = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());

function limits(item) {
  const parts = [];
  if (item.time_limit_days) parts.push(tr(`法定 ${item.time_limit_days} 个工作日`, `statutory ${item.time_limit_days} working days`));
  if (item.promised_limit_days) parts.push(tr(`承诺 ${item.promised_limit_days} 个工作日`, `promised ${item.promised_limit_days}`));
  if (item.due_on) parts.push(tr(`应于 ${item.due_on} 前`, `due by ${item.due_on}`));
  if (item.due_on && !FINAL.includes(item.status) && item.due_on < chinaToday()) {
    parts.push(h("span", { class: "badge warn" }, tr("已超期", "Overdue")));
  }
  return parts.flatMap((p, n) => (n ? [h("br"), p] : [p]));
}

function renderCase({ keepCorrection = false } = {}) {
  const c = state.caseDetail;
  $("case").hidden = !c;
  if (!c) return;
  $("case-title").textContent = tr(`${state.bundles.get(c.bundle_code).name_zh} · 办件号 ${c.case_id}`,
                                   `${state.bundles.get(c.bundle_code).name_en} · case ${c.case_id}`);
  $("case-summary").replaceChildren(
    h("span", { class: `badge ${c.correction ? "warn" : c.status === "delivered" ? "ok" : "info"}`, id: "case-status" },
      pair(CASE_STATUS[c.status], c.status_zh)), " ",
    tr(`${when(c.accepted_at)} 受理；承诺 ${c.limit_days} 个工作日内办结`, `Accepted ${when(c.accepted_at)}; done within ${c.limit_days} working days`),
    c.due_on ? tr(`，应于 ${c.due_on} 前办结${c.due_on_supervised ? "（电子监察计时）" : ""}`,
                  `, due by ${c.due_on}${c.due_on_supervised ? " (supervision's clock)" : ""}`) : "",
    c.paused_days ? tr(`；补正期间暂停计时 ${c.paused_days} 个工作日`, `; paused ${c.paused_days} working days for corrections`) : "",
    c.delivered_at ? tr(`；${when(c.delivered_at)} 办结送达`, `; delivered ${when(c.delivered_at)}`) : "", tr("。", "."));
  if (!(keepCorrection && c.correction && !$("correction").hidden)) renderCorrection().catch(showError);
  if (!(keepCorrection && !$("supplements").hidden)) renderSupplements().catch(showError);
  $("case-items").tBodies[0].replaceChildren(...c.items.map((item) => h("tr", { "data-item": item.item_code },
    h("td", {}, named(item)), h("td", {}, tr(item.department_name_zh, item.department_name_en)),
    h("td", {}, h("span", { class: `badge ${item.status === "approved" ? "ok" : item.status === "rejected" || item.status === "not_processed" ? "warn" : "info"}` },
      pair(ITEM_STATUS[item.status], item.status_zh))),
    h("td", {}, limits(item)), h("td", {}, waitingOn(item)))));
  $("timeline").replaceChildren(...c.timeline.map((e) => h("li", {},
    h("time", { datetime: e.at }, when(e.at)), " ", tr(e.text_zh, e.text_en))));
  renderRating();
}

// ---- the one correction (一次补正) ---------------------------------------------------------------------------

async function renderCorrection() {
  const c = state.caseDetail;
  const box = $("correction");
  box.hidden = !c.correction;
  if (!c.correction) { box.replaceChildren(); return; }
  // A department names a material by its item's code; the applicant answers under the one set's code.
  const n = await notice(c.bundle_code, c.items.map((i) => i.item_code));
  const oneSetCode = (code) => n.materials.find((m) => m.code === code || m.item_material_codes.includes(code));
  const fields = [...new Set(c.correction.deficiencies.filter((d) => d.kind === "field").map((d) => d.code))];
  const materials = [...new Map(c.correction.deficiencies.filter((d) => d.kind === "material")
    .map((d) => oneSetCode(d.code) ?? { code: d.code, name_zh: d.code, name_en: d.code })
    .map((m) => [m.code, m])).values()];
  const labels = Object.fromEntries(n.form.map((f) => [f.name, f]));
  box.replaceChildren(
    h("h4", { id: "correction-title", tabindex: "-1" }, tr(`一次性补正告知（第 ${c.correction.round} 轮）`,
      `Correction notice (round ${c.correction.round}): answer it once`)),
    h("p", {}, tr("以下是各部门预审发现的全部问题，请一次补正。补正期间暂停计时。",
                  "Every department's review found these; answer them all at once. The clock is paused until you do.")),
    h("ul", { class: "portal-deficiencies" }, c.correction.deficiencies.map((d) => h("li", {},
      h("strong", {}, itemName(d.item_code)), " · ", tr(department(d.department).zh, department(d.department).en), "：",
      tr(d.reason_zh, d.reason_en)))),
    h("form", { id: "correction-form", novalidate: true, onsubmit: submitCorrection },
      fields.map((name) => fieldInput(labels[name] ?? { name, label_zh: name, label_en: name, type: "text" }, "", false, "fix")),
      h("ul", { class: "portal-list" }, materials.map((m) => {
        const group = `fix-${m.code}`;
        return h("li", {}, h("fieldset", { class: "portal-material", "data-material": m.code },
          h("legend", {}, named(m), h("span", { class: "note" }, ` · ${m.code}`)),
          h("label", { for: `${group}-file` }, tr("重新选择文件", "Choose the file again")),
          fileField({ id: `${group}-file`, "aria-describedby": `${group}-problem` }),
          h("p", { id: `${group}-problem`, class: "problem", hidden: true })));
      })),
      h("p", {}, h("button", { type: "submit", class: "primary", id: "correction-submit" }, tr("提交补正", "Submit the correction")))));
}

// ---- 容缺补齐: the materials accepted missing, supplied later ------------------------------------------------

async function renderSupplements() {
  const c = state.caseDetail;
  const owed = c.commitments.filter((k) => k.kind === "tolerance" && k.status === "open");
  const box = $("supplements");
  box.hidden = !owed.length;
  if (!owed.length) { box.replaceChildren(); return; }
  const n = await notice(c.bundle_code, c.items.map((i) => i.item_code));
  const material = (code) => n.materials.find((m) => m.code === code) ?? { code, name_zh: code, name_en: code };
  box.replaceChildren(
    h("h4", {}, tr("容缺受理：待补齐的材料", "Accepted with materials to follow")),
    h("form", { id: "supplement-form", novalidate: true, onsubmit: submitSupplements },
      h("ul", { class: "portal-list" }, owed.map((k) => {
        const m = material(k.material_code);
        const group = `owed-${m.code}`;
        return h("li", {}, h("fieldset", { class: "portal-material", "data-material": m.code },
          h("legend", {}, named(m), h("span", { class: "note" }, tr(` · 请于 ${k.due_on} 前补齐`, ` · by ${k.due_on}`))),
          h("label", { for: `${group}-file` }, tr("选择文件", "Choose the file")),
          fileField({ id: `${group}-file`, "aria-describedby": `${group}-problem` }),
          h("p", { id: `${group}-problem`, class: "problem", hidden: true })));
      })),
      h("p", {}, h("button", { type: "submit", class: "primary", id: "supplement-submit" }, tr("提交补齐的材料", "Supply the materials")))));
}

async function submitSupplements(event) {
  event.preventDefault();
  const form = $("supplement-form");
  const materials = await collectMaterials(form);
  if (!materials) return;
  $("supplement-submit").disabled = true;
  try {
    state.caseDetail = await call(`/cases/${encodeURIComponent(state.caseId)}/supplements`,
                                  { method: "POST", json: { materials } });
    showError(null);
    say("材料已补齐", "The materials are supplied");
    renderCase();
    $("case-title").focus();
  } catch (error) {
    showError(error);
    if (error.problems) showProblems(form, error.problems, { material: "owed" });
    $("supplement-submit").disabled = false;
  }
}

function department(code) {
  for (const b of state.catalogue.bundles) {
    const found = b.departments.find((d) => d.code === code);
    if (found) return { zh: found.name_zh, en: found.name_en };
  }
  return { zh: code, en: code };
}

async function submitCorrection(event) {
  event.preventDefault();
  const form = $("correction-form");
  const materials = await collectMaterials(form);
  if (!materials) return;
  const fields = Object.fromEntries([...form.querySelectorAll("[data-field]")].map((el) => [el.dataset.field, el.value]));
  $("correction-submit").disabled = true;
  try {
    state.caseDetail = await call(`/cases/${encodeURIComponent(state.caseId)}/corrections`,
                                  { method: "POST", json: { form: fields, materials } });
    showError(null);
    say("补正已提交，恢复计时", "Correction submitted; the clock runs again");
    await loadCases();
    renderCase();
    $("case-title").focus();
  } catch (error) {
    showError(error);
    if (error.problems) showProblems(form, error.problems, { field: "fix", material: "fix" });
    $("correction-submit").disabled = false;
  }
}

// ---- 好差评 ------------------------------------------------------------------------------------------------

async function loadTouchpoints(caseId) {
  // The reason tags are the rating service's fixed vocabulary, read once.
  if (!state.tags.length) state.tags = await call(await serviceUrl("rating", "/tags")).catch(() => []);
  return call(await serviceUrl("rating", `/cases/${encodeURIComponent(caseId)}/touchpoints`));
}

function touchpointName(t) {
  if (t.touchpoint === "item") return `${pair(TOUCHPOINT.item)} ${itemName(t.item_code)}`;
  return pair(TOUCHPOINT[t.touchpoint], t.touchpoint);
}

function renderRating() {
  const open = state.caseDetail.status === "delivered" && state.touchpoints.length > 0;
  $("rating").hidden = !open;
  if (!open) return;
  $("touchpoints").replaceChildren(...state.touchpoints.map((t, n) => {
    const key = `rate-${n}`;
    const title = h("span", { class: "portal-touchpoint-name" }, touchpointName(t), " · ",
                    tr(department(t.department).zh, department(t.department).en));
    if (t.rated) return h("li", { "data-touchpoint": key }, title, " ", h("span", { class: "badge ok" }, tr("已评价", "Rated")));
    return h("li", { "data-touchpoint": key },
      h("form", { class: "portal-rate", novalidate: true, onsubmit: (event) => rate(event, t) },
        h("fieldset", {}, h("legend", {}, title),
          h("div", { class: "portal-radios" }, LEVELS.map(([value, zh, en]) => h("label", { class: "inline" },
            h("input", { type: "radio", name: key, value, required: true }), " ", tr(zh, en)))),
          state.tags.length ? h("details", { class: "portal-tags" },
            h("summary", {}, tr("选择原因（选填）", "Reasons (optional)")),
            state.tags.map((tag) => h("label", { class: "inline" },
              h("input", { type: "checkbox", name: `${key}-tag`, value: tag.code }), " ", tr(tag.name_zh, tag.name_en)))) : null,
          h("label", { for: `${key}-comment` }, tr("意见（选填）", "Comment (optional)")),
          h("div", { class: "portal-rate-send" },
            h("input", { id: `${key}-comment`, type: "text", maxlength: 500 }),
            h("button", { type: "submit" }, tr("提交评价", "Submit the rating"))))));
  }));
}

async function rate(event, touchpoint) {
  event.preventDefault();
  const formEl = event.currentTarget;
  const level = formEl.querySelector("input[type=radio]:checked")?.value;
  if (!level) { showError(new Refused("请选择满意程度", "Choose how satisfied you are")); formEl.querySelector("input")?.focus(); return; }
  const comment = formEl.querySelector("input[type=text]").value.trim();
  const tags = [...formEl.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
  try {
    await call(await serviceUrl("rating", "/ratings"), { method: "POST", json: {
      case_id: state.caseId, touchpoint: touchpoint.touchpoint, item_code: touchpoint.item_code, level, tags,
      comment: comment || null, rated_via: "portal" } });
    showError(null);
    state.touchpoints = await loadTouchpoints(state.caseId);
    say("感谢您的评价", "Thank you for rating");
    renderRating();
    $("touchpoints").querySelector("input")?.focus();
  } catch (error) { showError(error); }
}

// ---- my licences -------------------------------------------------------------------------------------------

async function loadLicences() {
  const holder = state.me.claims.organisation || state.me.claims.id_number;
  state.licences = await call(await serviceUrl("licence", `/holders/${encodeURIComponent(holder)}/licences`));
  renderLicences();
}

function renderLicences() {
  $("licence-list").replaceChildren(...state.licences.map((l) => h("li", { class: "portal-licence", "data-licence": l.licence_id },
    h("p", { class: "portal-licence-name" }, l.name_zh ? tr(l.name_zh, l.name_en) : l.licence_type,
      h("span", { class: "note" }, ` · ${l.number} `),
      h("span", { class: `badge ${l.state === "active" ? "ok" : "warn"}` }, pair(LICENCE_STATE[l.state], l.state))),
    h("p", { class: "note" }, tr(`${department(l.issuer_department).zh}签发 · 有效期 ${l.valid_from} 至 ${l.valid_until ?? "长期"} · 办件 ${l.case_id}`,
      `Issued by ${department(l.issuer_department).en} · valid ${l.valid_from} to ${l.valid_until ?? "no end"} · case ${l.case_id}`)),
    h("p", {},
      h("button", { type: "button", onclick: () => downloadPdf(l) }, tr("下载打印版 PDF", "Download the PDF")), " ",
      h("button", { type: "button", onclick: (event) => showQr(l, event.currentTarget) }, tr("显示验真二维码内容", "Show the QR content to verify")))
  )));
  if (!state.licences.length) $("licence-list").append(h("li", { class: "note" }, tr("还没有电子证照。", "No e-licences yet.")));
}

async function downloadPdf(licence) {
  try {
    const answer = await api(await serviceUrl("licence", `/licences/${encodeURIComponent(licence.licence_id)}/pdf`));
    if (!answer.ok) throw new Refused(`下载失败（${answer.status}）`, `The download failed (${answer.status})`);
    const address = URL.createObjectURL(await answer.blob());
    const link = h("a", { href: address, download: `${licence.licence_id}.pdf`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(address), 10000);
    say("已下载打印版证照", "The printable licence is downloaded");
  } catch (error) { showError(error instanceof Refused ? error : new Refused("下载失败", "The download failed")); }
}

async function showQr(licence, button) {
  try {
    const full = await call(await serviceUrl("licence", `/licences/${encodeURIComponent(licence.licence_id)}`));
    const id = `qr-${licence.licence_id}`;
    button.closest("li").querySelector(".portal-qr")?.remove();
    button.closest("li").append(h("div", { class: "portal-qr" },
      h("label", { for: id }, tr("二维码内容（复制后在验真页粘贴）", "QR content (copy it into the verification page)")),
      h("textarea", { id, readonly: true, rows: 3 }, full.qr_payload)));
    $(id).focus();
    $(id).select();
  } catch (error) { showError(error); }
}

// ---- the page ----------------------------------------------------------------------------------------------

async function showSignedIn() {
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  $("verify-link").href = await serviceUrl("licence", "/");
  state.catalogue = await call("/catalogue");
  renderBundleOptions();
  await Promise.all([loadCases(), loadLicences()]);
}

async function start() {
  // The sign-in first: coming back from the identity platform, it puts the address back as it was (?lang=en
  // included), and the shell then reads the language from it.
  let me = null;
  try { me = await finishSignIn(); } catch { me = null; }
  startShell();
  state.me = me && me.roles.includes("applicant") ? me : applicantSession();
  showSession($("shell-session"), "applicant", () => showSignedOut());
  $("sign-in-main").addEventListener("click", () => signIn("applicant"));
  $("bundle").addEventListener("change", chooseBundle);
  $("prefill").addEventListener("click", prefill);
  $("application").addEventListener("submit", submitApplication);
  $("delivery").addEventListener("change", () => { $("address-field").hidden = $("delivery").value !== "mail"; });
  $("refresh").addEventListener("click", async () => {
    try { await loadCases(); await loadLicences(); if (state.caseId) await openCase(state.caseId, { focus: false }); } catch (error) { showError(error); }
  });
  document.addEventListener("shell:lang", () => {
    if (!state.me) return;
    if (state.catalogue) renderBundleOptions();
    if (state.notice) { rememberTyped(); renderApplication(); }
    renderCases();
    if (state.caseDetail) renderCase({ keepCorrection: false });
    renderLicences();
  });
  if (!state.me) showSignedOut();
  else {
    try { await showSignedIn(); } catch (error) { showError(error); }
  }
  document.body.dataset.ready = "true";  // for tests and kiosks: the first answers are in
}

start();
