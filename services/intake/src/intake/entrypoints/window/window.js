// 一窗受理: the comprehensive window's acceptance screen. A client of intake's API with the clerk's own token:
// GET /catalogue, /catalogue/{code}/notice (the one form and the one set of materials), POST /cases (accept, with an
// Idempotency-Key), GET /cases/{id} (polled while the case is open), POST /cases/{id}/corrections (一次补正) and
// /supplements (容缺补齐).
import { currentLang, startShell, tr } from "/shell/shell.js";
import { $, h } from "/shell/dom.js";
import { SignInNeeded, api, finishSignIn, session, showSession, signIn } from "/shell/session.js";

const POLL_MS = 3000;
const ROLE = "clerk";
const PREFILL = {  // the catalogue's pre-fill sources (R-11), by the names a clerk reads
  population: ["人口库", "population registry"],
  enterprise: ["法人库", "legal-person registry"],
  licence: ["电子证照库", "e-licence archive"],
};
const FREE_CIRCUMSTANCES = {  // R-21: proxy handling is free in these circumstances (intake's codes)
  elderly: ["老年人", "elderly applicant"], weak: ["体弱", "frail applicant"], sick: ["患病", "sick applicant"],
  disabled: ["残疾人", "disabled applicant"], pregnant: ["孕妇", "pregnant applicant"],
  poor: ["困难家庭", "poor household"], not_in_centre: ["事项未进驻政务服务中心", "the item is not in the centre"],
  multi_level: ["涉及上下级审批", "upper- or lower-level authority is involved"],
};
const CASE_STATUS_EN = { accepted: "Accepted", in_progress: "In progress", awaiting_correction: "Awaiting correction",
  delivered: "Delivered" };
const ITEM_STATUS_EN = { waiting: "Waiting (prerequisite first)", released: "With the department",
  approved: "Done: approved", rejected: "Done: refused", not_processed: "Not handled (a prerequisite failed)" };
const PROVISION = {  // how a material the applicant brings is taken at the window (MaterialCreate.provision)
  upload: ["已收取", "Received"], deferred: ["容缺受理，后补", "Tolerated: follows later (容缺)"],
  commitment: ["告知承诺代替", "Replaced by a written commitment (告知承诺)"],
};

const state = {
  catalogue: null, code: null, notice: null,  // what is being applied for
  allItems: {},  // each one-thing's items as published, by code: an unticked item can be ticked again
  idempotencyKey: null,  // one per attempt: a double click or a retry makes one case; an edit starts a new attempt
  caseId: null, case: null, caseNotice: null, pollTimer: null,
  announced: ["", ""],  // the status line's last words, in both languages
};

/** Replaces ``box``'s children; the absent ones (null, false) are left out, not written as "null". */
function fill(box, ...children) {
  box.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}
const name = (thing) => tr(thing.name_zh, thing.name_en);
const said = (thing) => tr(thing.message_zh, thing.message_en);

/** What intake answered, or a refusal in both languages ({zh, en, problems}) thrown. */
async function answerOf(request) {
  let response;
  try {
    response = await request;
  } catch (error) {
    if (error instanceof SignInNeeded) throw error;
    throw { zh: "无法连接受理服务，请稍后重试", en: "Cannot reach the intake service; try again shortly", problems: [] };
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) return body;
  const refusal = body.detail && body.detail.message_zh ? body.detail : body;  // a refusal, or the 422 shape
  throw { zh: refusal.message_zh || `请求失败（${response.status}）`,
          en: refusal.message_en || `The request failed (${response.status})`, problems: refusal.problems || [] };
}

function announce(zh, en) {
  state.announced = [zh, en];  // said again in the other language when it changes
  $("status").textContent = tr(zh, en);
}

function showError(box, error) {
  box.hidden = !error;
  if (!error) { fill(box); return; }
  fill(box, h("p", {}, h("strong", {}, tr(error.zh, error.en))),
    error.problems && error.problems.length ? h("ul", {}, error.problems.map((p) => h("li", {}, where(p), said(p)))) : null);
}

/** The label of the field a problem is about ("姓名或单位名称：") when it is on the page: "too short" alone says little. */
function where(problem) {
  const field = elementFor(problem.path ?? "");
  const label = field && document.querySelector(`label[for="${field.id}"]`);
  return label ? h("strong", {}, `${label.textContent.trim()}${tr("：", ": ")}`) : null;
}

function pageFailed(error) {
  if (error instanceof SignInNeeded) { showSignedOut(); return; }
  showError($("page-error"), error);
}

// ---- signed in or not -----------------------------------------------------------------------------------

function isClerk(current) {
  return Boolean(current && current.roles.includes(ROLE));
}

function showSignedOut() {
  stopPolling();
  $("work").hidden = true;
  $("signed-out").hidden = false;
  const current = session();
  if (current && !isClerk(current)) {
    announce("当前账号不是窗口人员账号，请退出后以窗口人员身份登录。",
             "This account is not a window clerk's: sign out and sign in as a clerk.");
  }
}

// ---- 1. the one-thing and its items ---------------------------------------------------------------------

function renderBundleOptions() {
  const select = $("bundle");
  select.replaceChildren(select.options[0], ...state.catalogue.bundles.map((b) =>
    h("option", { value: b.code }, tr(`${b.code} ${b.name_zh}`, `${b.code} ${b.name_en}`))));
  select.value = state.code ?? "";
}

async function loadNotice(code, items) {
  const query = (items || []).map((c) => `items=${encodeURIComponent(c)}`).join("&");
  return answerOf(api(`/catalogue/${encodeURIComponent(code)}/notice${query ? `?${query}` : ""}`));
}

async function choose(code, items) {
  state.code = code || null;
  state.notice = null;
  state.idempotencyKey = null;
  if (code) {
    try {
      state.notice = await loadNotice(code, items);
      showError($("page-error"), null);
    } catch (error) {
      pageFailed(error);
    }
  }
  // Drawn again: the clerk stays on the box they are on now (they may have moved on while the notice loaded).
  const focused = document.activeElement?.id;
  renderBundleOptions();
  renderChoice();
  renderApplyForm();
  if (focused && document.activeElement?.id !== focused) $(focused)?.focus();
  const url = new URL(window.location.href);
  url.searchParams.delete("case");
  if (state.notice) {
    url.searchParams.set("bundle", state.code);
    url.searchParams.set("items", state.notice.items.map((i) => i.code).join(","));
  } else {
    url.searchParams.delete("bundle");
    url.searchParams.delete("items");
  }
  window.history.replaceState(window.history.state, "", url);
}

function renderChoice() {
  const n = state.notice;
  $("items-box").hidden = !n;
  $("added").hidden = !(n && n.added.length);
  if (!n) return;
  const selected = new Set(n.items.map((i) => i.code));
  // The notice lists the selected items only: an unticked one comes back from the one-thing as published.
  const all = state.allItems[n.bundle_code] ?? n.items;
  fill($("items"), ...all.map((item) => {
    const id = `item-${item.code}`;
    return h("li", { class: "check" },
      h("input", { type: "checkbox", id, value: item.code, checked: selected.has(item.code) }),
      h("label", { for: id }, name(item), " ", h("span", { class: "note nowrap" }, item.code)));
  }));
  fill($("added"), h("p", {}, h("strong", {}, tr("已自动保留的事项", "Items kept"))),
    h("ul", {}, n.added.map((a) => h("li", {}, said(a)))));
}

async function reselect() {
  const ticked = [...$("items").querySelectorAll("input:checked")].map((box) => box.value);
  if (!ticked.length) {
    showError($("page-error"), { zh: "请至少选择一个事项", en: "Select at least one item", problems: [] });
    return;
  }
  await choose(state.code, ticked);
}

/** Every item of a one-thing, for ticking back what was unticked (the notice lists only those selected). */
async function rememberAllItems(code) {
  if (state.allItems[code]) return;
  const bundle = await answerOf(api(`/catalogue/${encodeURIComponent(code)}`));
  state.allItems[code] = bundle.items.map((i) => ({ code: i.code, name_zh: i.name_zh, name_en: i.name_en }));
}

// ---- 2–5. the application ---------------------------------------------------------------------------------

function fieldInput(field, value) {
  const id = `f-${field.name}`;
  const common = { id, name: field.name, required: field.required, "data-field": field.name, autocomplete: "off" };
  if (field.type === "enum") {
    return h("select", common, h("option", { value: "" }, tr("请选择", "Choose")),
      field.options.map((o) => h("option", { value: o, selected: o === value }, o)));
  }
  const type = { date: "date", phone: "tel", number: "text" }[field.type] ?? "text";
  const input = h("input", { ...common, type, inputmode: field.type === "number" ? "decimal" : null,
    maxlength: field.type === "resident_id" ? 18 : 500, spellcheck: "false" });
  if (value) input.value = value;
  return input;
}

function renderFormFields() {
  const kept = formValues();  // a reselection or the language keeps what was typed
  fill($("form-fields"), ...state.notice.form.map((f) => h("div", { class: "field" },
    h("label", { for: `f-${f.name}` }, tr(f.label_zh, f.label_en),
      f.required ? null : h("span", { class: "note" }, tr("（选填）", " (optional)")),
      f.prefill ? h("span", { class: "badge ok" }, tr(`共享数据 · ${PREFILL[f.prefill]?.[0] ?? f.prefill}`,
        `shared data · ${PREFILL[f.prefill]?.[1] ?? f.prefill}`)) : null),
    fieldInput(f, kept[f.name]))));
}

function formValues() {
  const values = {};
  for (const el of $("form-fields").querySelectorAll("[data-field]")) {
    if (el.value.trim()) values[el.dataset.field] = el.value.trim();
  }
  return values;
}

function materialChoice(m, kept) {
  const n = state.notice;
  const chosen = kept?.provision ?? "upload";
  const ways = ["upload", m.tolerable ? "deferred" : null, m.commitment_allowed ? "commitment" : null].filter(Boolean);
  const due = { deferred: tr(`受理后 ${n.tolerance_supplement_days} 个工作日内补齐`,
                             `within ${n.tolerance_supplement_days} working days of acceptance`),
                commitment: tr(`${n.commitment_verification_days} 个工作日内核查`,
                               `checked within ${n.commitment_verification_days} working days`) };
  const document = h("input", { type: "text", id: `doc-${m.code}`, "data-document": m.code, maxlength: 200,
    autocomplete: "off" });
  document.value = kept?.document ?? tr("窗口已核验原件", "original checked at the window");
  return h("fieldset", { class: "material", "data-material": m.code },
    h("legend", {}, name(m), " ", h("span", { class: "note nowrap" }, m.code)),
    m.licence ? h("p", { class: "note" }, h("span", { class: "badge info" }, tr("可用电子证照", "E-licence")),
      tr(`申请人在网上授权预填后，可用「${m.licence.name_zh}」电子证照免提交；在窗口请收取原件。`,
         `once the applicant authorises the pre-fill online, their e-licence “${m.licence.name_en}” proves it; at the window, take the original.`)) : null,
    h("div", { class: "ways" }, ways.map((way) => {
      const id = `way-${m.code}-${way}`;
      return h("div", { class: "check" },
        h("input", { type: "radio", id, name: `way-${m.code}`, value: way, checked: way === chosen }),
        h("label", { for: id }, tr(...PROVISION[way]),
          due[way] ? h("span", { class: "badge warn" }, due[way]) : null));
    })),
    h("div", { class: "document", hidden: chosen !== "upload" },
      h("label", { for: `doc-${m.code}` }, tr("材料登记号或说明", "Document reference or note")), document));
}

function renderMaterials() {
  const kept = materialValues();
  const n = state.notice;
  const asked = n.materials.filter((m) => m.submit);
  const shared = n.materials.filter((m) => !m.submit);
  $("materials-summary").textContent = tr(
    `共 ${n.materials.length} 项：申请人提交 ${asked.length} 项，数据共享免提交 ${shared.length} 项。`,
    `${n.materials.length} in all: ${asked.length} from the applicant, ${shared.length} fetched by data sharing.`);
  fill($("materials"),
    h("h3", {}, tr("申请人提交", "Brought by the applicant")),
    asked.length ? h("div", { class: "material-list" }, asked.map((m) => materialChoice(m, kept[m.code])))
      : h("p", { class: "note" }, tr("无", "None")),
    h("h3", {}, tr("数据共享 · 免提交", "Fetched by data sharing · not asked")),
    shared.length ? h("ul", { class: "shared" }, shared.map((m) => h("li", {}, name(m), " ",
      h("span", { class: "badge ok" }, tr(`由${m.shared_by.name_zh}共享`, `from ${m.shared_by.name_en}`)))))
      : h("p", { class: "note" }, tr("无", "None")));
}

function materialValues() {
  const values = {};
  for (const box of $("materials").querySelectorAll("[data-material]")) {
    const way = box.querySelector("input[type=radio]:checked")?.value ?? "upload";
    const document = box.querySelector("[data-document]").value.trim();
    values[box.dataset.material] = way === "upload" ? { provision: way, document } : { provision: way };
  }
  return values;
}

function renderCircumstances() {
  const ticked = new Set([...$("circumstances").querySelectorAll("input:checked")].map((b) => b.value));
  fill($("circumstances"), ...Object.entries(FREE_CIRCUMSTANCES).map(([code, text]) =>
    h("li", { class: "check" },
      h("input", { type: "checkbox", id: `free-${code}`, value: code, checked: ticked.has(code) }),
      h("label", { for: `free-${code}` }, tr(...text)))));
}

function renderApplyForm() {
  $("apply").hidden = !state.notice || Boolean(state.caseId);
  if (!state.notice) return;
  renderFormFields();
  renderMaterials();
  renderCircumstances();
}

function applicationBody() {
  const delivery = document.querySelector("input[name=delivery]:checked").value;
  const body = {
    bundle_code: state.code,
    items: state.notice.items.map((i) => i.code),
    applicant: { name: $("applicant-name").value.trim(), id_number: $("applicant-id").value.trim() },
    form: formValues(),
    materials: materialValues(),
    delivery: delivery === "mail" ? { method: "mail", address: $("delivery-address").value.trim() }
      : { method: "window" },
    fast_track: $("fast-track").checked,
  };
  const phone = $("applicant-phone").value.trim();
  if (phone) body.applicant.phone = phone;
  if ($("proxy-on").checked) {
    body.proxy = { name: $("proxy-name").value.trim(), id_number: $("proxy-id").value.trim(),
      role: $("proxy-role").value,
      circumstances: [...$("circumstances").querySelectorAll("input:checked")].map((b) => b.value) };
  }
  return body;
}

// Where a problem's path ("form.birth_date", "applicant.id_number", "materials.P-01-01-M1") is on the page.
function elementFor(path) {
  const [head, ...rest] = path.split(".");
  const tail = rest.join(".");
  if (head === "form") return $(`f-${tail}`);
  if (head === "applicant") return $({ name: "applicant-name", id_number: "applicant-id", phone: "applicant-phone" }[tail]);
  if (head === "proxy") return $({ name: "proxy-name", id_number: "proxy-id" }[rest[0]]);
  if (head === "materials") return $(`doc-${rest[0]}`);
  if (head === "delivery") return $("delivery-address");
  return null;
}

function markProblems(problems) {
  for (const el of $("apply").querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const p of problems) elementFor(p.path)?.setAttribute("aria-invalid", "true");
}

async function accept(event) {
  event.preventDefault();
  const button = $("accept");
  if (button.disabled) return;  // a second click while the first is on its way
  button.disabled = true;
  state.idempotencyKey ??= crypto.randomUUID();
  announce("正在受理…", "Accepting…");
  try {
    const accepted = await answerOf(api("/cases", { method: "POST", json: applicationBody(),
      headers: { "Idempotency-Key": state.idempotencyKey } }));
    showError($("apply-error"), null);
    markProblems([]);
    openCase(accepted, { focus: true });
    announce(`已受理，办件编号 ${accepted.case_id}`, `Accepted: case ${accepted.case_id}`);
  } catch (error) {
    if (error instanceof SignInNeeded) { showSignedOut(); return; }
    showError($("apply-error"), error);
    markProblems(error.problems || []);
    announce("未受理：请按提示修改后再提交。", "Not accepted: correct what is listed and submit again.");
    $("apply-error").focus();
  } finally {
    button.disabled = false;
  }
}

// ---- the case ---------------------------------------------------------------------------------------------

function when(instant) {
  return new Date(instant).toLocaleString(currentLang() === "en" ? "en-GB" : "zh-CN",
    { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" });
}

function fact(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

function renderCaseFacts() {
  const c = state.case;
  const status = tr(c.status_zh, CASE_STATUS_EN[c.status] ?? c.status);
  $("case-title").textContent = tr(`办件 ${c.case_id}`, `Case ${c.case_id}`);
  const bundle = state.catalogue.bundles.find((b) => b.code === c.bundle_code);
  const due = c.due_on ? [c.due_on, c.due_on_provisional ? h("span", { class: "badge warn" }, tr("暂定", "provisional")) : null,
    h("span", { class: "note" }, c.due_on_supervised ? tr("（电子监察计时）", " (supervision's clock)")
      : tr("（受理时估算）", " (estimated at acceptance)"))] : [tr("—", "—")];
  fill($("case-facts"), ...[
    fact(tr("一件事", "One-thing"), bundle ? tr(`${bundle.name_zh}（${c.bundle_code}）`, `${bundle.name_en} (${c.bundle_code})`)
      : c.bundle_code),
    fact(tr("状态", "Status"), h("span", { id: "case-status", class: `badge ${c.status === "delivered" ? "ok" : "info"}` }, status)),
    fact(tr("受理", "Accepted"), when(c.accepted_at), c.window_id ? tr(` · 窗口 ${c.window_id}`, ` · window ${c.window_id}`) : "",
      c.staff_id ? tr(` · 工号 ${c.staff_id}`, ` · staff ${c.staff_id}`) : ""),
    fact(tr("承诺时限", "Time limit"), tr(`${c.limit_days} 个工作日`, `${c.limit_days} working days`),
      c.paused_days ? tr(`（补正暂停 ${c.paused_days} 个工作日）`, ` (paused ${c.paused_days} working days for a correction)`) : ""),
    fact(tr("办结期限", "Due by"), h("span", { id: "case-due" }, ...due)),
    c.proxy ? fact(tr("帮办代办", "Proxy"), `${c.proxy.name ?? ""} `,
      c.proxy.free === undefined ? "" : (c.proxy.free ? tr("（免费）", " (free)") : "")) : null,
    c.fast_track_note_zh ? fact(tr("绿色通道", "Fast track"), tr(c.fast_track_note_zh, c.fast_track_note_en)) : null,
    c.calendar_note_zh ? fact(tr("说明", "Note"), tr(c.calendar_note_zh, c.calendar_note_en)) : null,
  ].filter(Boolean).flat());
}

function renderCaseItems() {
  const c = state.case;
  fill($("case-items"),
    h("caption", { class: "visually-hidden" }, tr("各部门办理情况", "Each department's work")),
    h("thead", {}, h("tr", {}, [tr("事项", "Item"), tr("办理部门", "Department"), tr("状态", "State"),
      tr("期限", "Due"), tr("结果", "Result")].map((cell) => h("th", { scope: "col" }, cell)))),
    h("tbody", {}, c.items.map((i) => h("tr", { "data-item": i.item_code },
      h("td", {}, name(i), h("br"), h("span", { class: "note" }, i.item_code)),
      h("td", {}, tr(i.department_name_zh, i.department_name_en)),
      h("td", {}, h("span", { class: `badge ${i.status === "approved" ? "ok" : i.status === "released" ? "info" : "warn"}` },
        tr(i.status_zh, ITEM_STATUS_EN[i.status] ?? i.status))),
      h("td", { class: "nowrap" }, i.due_on ?? "—"),
      h("td", {}, [i.document_no ? tr(`文号 ${i.document_no}`, `document ${i.document_no}`) : null,
        i.licence_id ? [h("br"), h("span", { class: "badge ok" }, tr("电子证照", "e-licence")), i.licence_id] : null]
        .filter(Boolean))))));
}

function renderTimeline() {
  fill($("timeline"), ...state.case.timeline.map((e) => h("li", {},
    h("time", { datetime: e.at }, when(e.at)), " ", tr(e.text_zh, e.text_en))));
}

// The correction lists item material codes; the applicant answers under the one set's code (R-13: asked once).
function oneSetCode(itemMaterialCode) {
  const m = state.caseNotice?.materials.find((x) => x.item_material_codes.includes(itemMaterialCode));
  return m ? m.code : itemMaterialCode;
}
function materialName(itemMaterialCode) {
  const m = state.caseNotice?.materials.find((x) => x.item_material_codes.includes(itemMaterialCode));
  return m ? name(m) : itemMaterialCode;
}
function fieldLabel(fieldName) {
  const f = state.caseNotice?.form.find((x) => x.name === fieldName);
  return f ? tr(f.label_zh, f.label_en) : fieldName;
}
function departmentName(code) {
  const i = state.case.items.find((x) => x.department === code);
  return i ? tr(i.department_name_zh, i.department_name_en) : code;
}

function renderCorrection() {
  const box = $("correction");
  const c = state.case;
  const open = c.correction;
  box.hidden = !open;
  if (!open) { fill(box); return; }
  if (box.dataset.round === String(open.round) && box.contains(document.activeElement)) return;  // being answered
  box.dataset.round = String(open.round);
  const asked = open.deficiencies;
  const fields = [...new Set(asked.filter((d) => d.kind === "field").map((d) => d.code))];
  const materials = [...new Set(asked.filter((d) => d.kind === "material").map((d) => oneSetCode(d.code)))];
  fill(box,
    h("h3", {}, tr(`一次性补正告知（第 ${open.round} 轮）`, `The one correction notice (round ${open.round})`)),
    h("p", {}, tr(`各部门预审共提出 ${asked.length} 处需补正，请申请人一次补齐；补正期间暂停计时（${open.requested_on} 起）。`,
      `The departments' review found ${asked.length} things to correct, all at once; the clock is paused from ${open.requested_on}.`)),
    h("ul", {}, asked.map((d) => h("li", {},
      h("strong", {}, d.kind === "field" ? fieldLabel(d.code) : materialName(d.code)), " · ",
      departmentName(d.department), tr("：", ": "), tr(d.reason_zh, d.reason_en)))),
    h("form", { id: "correction-form", novalidate: true },
      fields.map((f) => h("div", { class: "field" },
        h("label", { for: `fix-${f}` }, fieldLabel(f)),
        h("input", { type: "text", id: `fix-${f}`, "data-fix-field": f, maxlength: 500, autocomplete: "off" }))),
      materials.map((m) => h("div", { class: "field" },
        h("label", { for: `fix-m-${m}` }, tr(`${materialName(m)}：重新收取的材料登记号或说明`,
          `${materialName(m)}: reference of the material taken again`)),
        h("input", { type: "text", id: `fix-m-${m}`, "data-fix-material": m, maxlength: 200, autocomplete: "off" }))),
      h("div", { id: "correction-error", class: "alert", role: "alert", hidden: true }),
      h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "send-correction" },
        tr("提交补正", "Send the correction")))));
  $("correction-form").addEventListener("submit", sendCorrection);
}

async function sendCorrection(event) {
  event.preventDefault();
  const form = {};
  const materials = {};
  for (const el of $("correction").querySelectorAll("[data-fix-field]")) form[el.dataset.fixField] = el.value.trim();
  for (const el of $("correction").querySelectorAll("[data-fix-material]")) {
    materials[el.dataset.fixMaterial] = { provision: "upload", document: el.value.trim() };
  }
  $("send-correction").disabled = true;
  try {
    const corrected = await answerOf(api(`/cases/${encodeURIComponent(state.caseId)}/corrections`,
      { method: "POST", json: { form, materials } }));
    delete $("correction").dataset.round;
    showCase(corrected);
    announce("补正已提交，恢复计时。", "Correction sent; the clock runs again.");
    $("case-title").focus();
  } catch (error) {
    if (error instanceof SignInNeeded) { showSignedOut(); return; }
    showError($("correction-error"), error);
    $("send-correction").disabled = false;
  }
}

function renderSupplements() {
  const box = $("supplements");
  const open = state.case.commitments.filter((c) => c.kind === "tolerance" && c.status === "open");
  const all = state.case.commitments;
  box.hidden = !all.length;
  if (!all.length) { fill(box); return; }
  if (box.contains(document.activeElement)) return;  // being answered: the poll does not redraw under the clerk
  fill(box,
    h("h3", {}, tr("容缺与告知承诺", "Tolerated materials and commitments")),
    h("ul", {}, all.map((c) => h("li", {},
      h("span", { class: "badge warn" }, c.kind === "tolerance" ? tr("容缺", "tolerated") : tr("告知承诺", "commitment")),
      materialName(c.material_code), tr(`，期限 ${c.due_on}`, `, due ${c.due_on}`),
      c.due_on_provisional ? tr("（暂定）", " (provisional)") : "", " · ",
      c.status === "open" ? tr("待履行", "open") : tr("已履行", "fulfilled")))),
    open.length ? h("form", { id: "supplement-form", novalidate: true },
      open.map((c) => h("div", { class: "field" },
        h("label", { for: `supply-${c.material_code}` }, tr(`补齐「${materialName(c.material_code)}」：材料登记号或说明`,
          `Supply “${materialName(c.material_code)}”: document reference`)),
        h("input", { type: "text", id: `supply-${c.material_code}`, "data-supply": c.material_code, maxlength: 200,
          autocomplete: "off" }))),
      h("div", { id: "supplement-error", class: "alert", role: "alert", hidden: true }),
      h("p", { class: "actions" }, h("button", { type: "submit", id: "send-supplement" },
        tr("收取补齐的材料", "Take the materials supplied")))) : null);
  $("supplement-form")?.addEventListener("submit", sendSupplement);
}

async function sendSupplement(event) {
  event.preventDefault();
  const materials = {};
  for (const el of $("supplements").querySelectorAll("[data-supply]")) {
    if (el.value.trim()) materials[el.dataset.supply] = { provision: "upload", document: el.value.trim() };
  }
  try {
    const supplied = await answerOf(api(`/cases/${encodeURIComponent(state.caseId)}/supplements`,
      { method: "POST", json: { materials } }));
    document.activeElement?.blur();
    showCase(supplied);
    announce("已收取补齐的材料。", "The materials supplied are taken.");
  } catch (error) {
    if (error instanceof SignInNeeded) { showSignedOut(); return; }
    showError($("supplement-error"), error);
  }
}

function renderDelivery() {
  const c = state.case;
  const box = $("delivery");
  box.hidden = c.status !== "delivered";
  if (box.hidden) { fill(box); return; }
  if (box.contains(document.activeElement) && !c.handed_over_at) return;  // being handed over: not redrawn under the clerk
  const licences = c.items.filter((i) => i.licence_id);
  const byMail = c.delivery_method === "mail";
  fill(box,
    h("h3", {}, tr("出件", "Handing the results over")),
    h("p", {}, h("span", { class: "badge ok" }, tr("已送达", "Delivered")), when(c.delivered_at), " · ",
      byMail ? tr("免费寄递", "mailed free of charge") : tr("窗口领取", "collected at the window")),
    c.notice_zh ? h("p", { id: "delivery-notice" }, tr(c.notice_zh, c.notice_en)) : null,
    licences.length ? h("ul", { class: "licences" }, licences.map((i) => h("li", {}, name(i), tr("：电子证照 ", ": e-licence "),
      h("code", {}, i.licence_id)))) : null,
    byMail ? h("p", { class: "note" }, tr("结果已交寄递，无需到窗口领取。", "The results are in the post; nothing is collected here."))
      : handOver(c));
}

/** 出件 at the window: who collects, and the clerk records that every result was handed over (once). */
function handOver(c) {
  if (c.handed_over_at) {
    return h("p", { id: "handed-over", tabindex: "-1" }, h("span", { class: "badge ok" }, tr("已出件", "Handed over")),
      tr(`${when(c.handed_over_at)} 已当面交付`, `handed over ${when(c.handed_over_at)}`));
  }
  const collectors = [["applicant", tr("申请人本人", "The applicant in person")],
    c.proxy ? ["proxy", tr(`帮办代办人 ${c.proxy.name}`, `The proxy ${c.proxy.name}`)] : null].filter(Boolean);
  const form = h("form", { id: "hand-over-form", novalidate: true },
    h("p", { class: "note" }, tr("请核对领取人身份证件（代领的核对帮办代办人），一次交付全部结果；电子证照已归集到申请人名下。",
      "Check the collector's ID (the proxy's if they collect), then hand every result over at once; the e-licences are already in the applicant's name.")),
    h("fieldset", {}, h("legend", {}, tr("领取人", "Collected by")),
      collectors.map(([value, label], n) => h("div", { class: "check" },
        h("input", { type: "radio", name: "collector", id: `collector-${value}`, value, checked: n === 0 }),
        h("label", { for: `collector-${value}` }, label)))),
    h("div", { id: "hand-over-error", class: "alert", role: "alert", hidden: true }),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "hand-over" },
      tr("登记出件", "Record the hand-over"))));
  form.addEventListener("submit", sendHandOver);
  return form;
}

async function sendHandOver(event) {
  event.preventDefault();
  const button = $("hand-over");
  if (button.disabled) return;
  button.disabled = true;
  const collector = document.querySelector("input[name=collector]:checked")?.value ?? "applicant";
  try {
    const handed = await answerOf(api(`/cases/${encodeURIComponent(state.caseId)}/handover`,
      { method: "POST", json: { collector } }));
    showCase(handed);
    announce("已登记出件：结果已一次交付。", "Hand-over recorded: every result handed over at once.");
    $("handed-over").focus();
  } catch (error) {
    if (error instanceof SignInNeeded) { showSignedOut(); return; }
    showError($("hand-over-error"), error);
    button.disabled = false;
  }
}

function showCase(c) {
  state.case = c;
  renderCaseFacts();
  renderCorrection();
  renderSupplements();
  renderDelivery();
  renderCaseItems();
  renderTimeline();
  document.body.dataset.caseStatus = c.status;
  if (c.status === "delivered") stopPolling();
}

async function openCase(c, { focus }) {
  state.caseId = c.case_id;
  $("choose").hidden = true;
  $("apply").hidden = true;
  $("case").hidden = false;
  const url = new URL(window.location.href);
  for (const key of ["bundle", "items"]) url.searchParams.delete(key);
  url.searchParams.set("case", c.case_id);
  window.history.replaceState(window.history.state, "", url);
  try {  // the labels of the case's fields and materials, for a correction
    state.caseNotice = await loadNotice(c.bundle_code, c.items.map((i) => i.item_code));
  } catch { state.caseNotice = null; }
  showCase(c);
  if (focus) $("case-title").focus();
  startPolling();
}

function startPolling() {
  stopPolling();
  if (state.case?.status === "delivered") return;
  state.pollTimer = window.setInterval(refreshCase, POLL_MS);
}
function stopPolling() {
  if (state.pollTimer !== null) window.clearInterval(state.pollTimer);
  state.pollTimer = null;
}

async function refreshCase() {
  if (!state.caseId) return;
  try {
    const before = state.case?.status;
    showCase(await answerOf(api(`/cases/${encodeURIComponent(state.caseId)}`)));
    showError($("page-error"), null);
    if (before !== state.case.status) {
      announce(`办件状态：${state.case.status_zh}`, `Case status: ${CASE_STATUS_EN[state.case.status] ?? state.case.status}`);
    }
  } catch (error) {
    pageFailed(error);
  }
}

function nextApplication() {
  stopPolling();
  state.caseId = state.case = state.caseNotice = null;
  state.idempotencyKey = null;
  $("apply").reset();
  $("proxy-box").hidden = true;
  $("address-box").hidden = true;
  $("case").hidden = true;
  $("choose").hidden = false;
  showError($("apply-error"), null);
  announce("", "");
  choose(state.code, state.notice?.items.map((i) => i.code));
  $("bundle").focus();
}

// ---- start ------------------------------------------------------------------------------------------------

function wire() {
  $("bundle").addEventListener("change", async () => {
    if ($("bundle").value) await rememberAllItems($("bundle").value).catch(pageFailed);
    await choose($("bundle").value, null);
  });
  $("items").addEventListener("change", reselect);
  $("apply").addEventListener("submit", accept);
  // Another body needs another key: the same key with a changed body is refused (draft-ietf-httpapi-idempotency-key).
  $("apply").addEventListener("input", () => { state.idempotencyKey = null; });
  $("apply").addEventListener("change", (event) => {
    state.idempotencyKey = null;
    const radio = event.target.closest("input[type=radio][name^=way-]");
    if (radio) radio.closest("fieldset").querySelector(".document").hidden = radio.value !== "upload";
  });
  $("proxy-on").addEventListener("change", () => { $("proxy-box").hidden = !$("proxy-on").checked; });
  for (const radio of document.querySelectorAll("input[name=delivery]")) {
    radio.addEventListener("change", () => { $("address-box").hidden = !$("delivery-mail").checked; });
  }
  $("print").addEventListener("click", () => window.print());
  $("next-application").addEventListener("click", nextApplication);
  document.addEventListener("shell:lang", () => {
    $("status").textContent = tr(...state.announced);
    if (!state.catalogue) return;
    renderBundleOptions();
    renderChoice();
    renderApplyForm();
    if (state.case) { delete $("correction").dataset.round; showCase(state.case); }
  });
}

async function start() {
  startShell();
  $("sign-in-prompt").addEventListener("click", () => signIn(ROLE));
  let me = null;
  try { me = await finishSignIn(); } catch { me = null; }
  showSession($("shell-session"), ROLE, showSignedOut);
  if (!isClerk(me)) {
    showSignedOut();
    document.body.dataset.ready = "true";
    return;
  }
  $("work").hidden = false;
  wire();
  try {
    state.catalogue = await answerOf(api("/catalogue"));
  } catch (error) {
    pageFailed(error);
    document.body.dataset.ready = "true";
    return;
  }
  const asked = new URLSearchParams(window.location.search);
  const caseId = asked.get("case");
  const code = asked.get("bundle");
  if (caseId) {
    renderBundleOptions();
    try {
      await openCase(await answerOf(api(`/cases/${encodeURIComponent(caseId)}`)), { focus: false });
    } catch (error) { pageFailed(error); }
  } else if (code) {
    await rememberAllItems(code).catch(pageFailed);
    await choose(code, (asked.get("items") || "").split(",").filter(Boolean));
  } else {
    renderBundleOptions();
  }
  document.body.dataset.ready = "true";  // for tests and kiosks: the page is drawn
}

start();
