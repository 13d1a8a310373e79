// 电子监察看板: the supervisor's board. A client of supervision's routes (/cards, /late-departments,
// /rectification-clocks, /figures, /cases/{id}/supervision, /cases/{id}/audit) and rating's /figures, with the
// supervisor's own token (session.js's api); names of departments and one-things come from intake's open catalogue.
// Charts are drawn by the vendored Chart.js (/board/chart.umd.min.js, window.Chart); each has its table beside it.
import { currentLang, startShell, tr } from "/shell/shell.js";
import { $, h } from "/shell/dom.js";
import { api, finishSignIn, serviceUrl, showSession, signIn, SignInNeeded } from "/shell/session.js";

const ROLE = "supervisor";

const state = {
  names: { departments: new Map(), bundles: new Map() },
  cards: [], late: [], rectifications: [], efficiency: [], satisfaction: [], today: null,
  caseId: null, caseView: null, caseAudit: [],
};
const charts = {};

// ---- words ----------------------------------------------------------------------------------------------

const COLOUR = { red: ["红牌", "Red card"], yellow: ["黄牌", "Yellow card"] };
const REASON = {
  near_deadline: ["临近时限", "near its limit"],
  overdue: ["超过时限", "past its limit"],
  beyond_list: ["超出清单索要材料（R-04）", "asked for more than the published list (R-04)"],
  undeliverable: ["部门请求无法送达", "the department's request could not be delivered"],
};
const CLOCK_STATE = {
  running: ["计时中", "running"], overdue: ["已超期", "overdue"], suspended: ["暂停计时", "suspended"],
  finished: ["已办结", "finished"],
};
const CHANNEL = {
  window: ["综合窗口", "Window"], portal: ["网上大厅", "Portal"], mobile: ["移动端", "Mobile app"],
  kiosk: ["自助终端", "Kiosk"], "12345": ["12345 热线", "12345 hotline"], online: ["网上办理", "Online"],
};
const EVENT = {
  "intake.case.registered": ["受理登记", "registered"],
  "intake.case.correction_filed": ["提交补正", "correction filed"],
  "intake.case.delivered": ["办结送达", "delivered"],
  "intake.case.notified": ["通知申请人", "applicant notified"],
  "dispatch.review.concluded": ["预审结论", "review concluded"],
  "dispatch.finding.beyond_list": ["超出清单索要", "asked beyond the list"],
  "dispatch.task.released": ["分发至部门", "released to the department"],
  "dispatch.task.concluded": ["部门办结", "concluded by the department"],
  "dispatch.request.undeliverable": ["请求无法送达", "request undeliverable"],
  "gateway.callback.parked": ["回调暂存", "callback parked"],
  "licence.case.licence_issued": ["签发电子证照", "e-licence issued"],
  "licence.licence.status_changed": ["证照状态变更", "licence status changed"],
  "supervision.clock.started": ["开始计时", "clock started"],
  "supervision.clock.adjusted": ["计时调整", "clock adjusted"],
  "supervision.clock.stopped": ["停止计时", "clock stopped"],
  "supervision.card.issued": ["发出红黄牌", "card issued"],
  "supervision.order.issued": ["发出督办", "supervision order issued"],
  "supervision.repeat.flagged": ["重复索要标记", "asked again, flagged"],
  "rating.invitation.sent": ["邀请评价", "invited to rate"],
  "rating.rating.submitted": ["收到评价", "rated"],
  "rating.rectification.opened": ["差评整改开始", "rectification opened"],
  "rating.rectification.reported": ["整改反馈", "rectification reported"],
  "rating.rectification.called_back": ["回访", "called back"],
  "rating.rectification.closed": ["整改办结", "rectification closed"],
  "rating.appeal.filed": ["提出申诉", "appeal filed"],
  "rating.appeal.decided": ["申诉复核", "appeal decided"],
};

const pick = (pair) => tr(pair[0], pair[1]);
const said = (table, key) => (table[key] ? pick(table[key]) : key);

function departmentName(code, zh, en) {
  if (zh && en) return tr(zh, en);
  const known = state.names.departments.get(code);
  return known ? tr(known.name_zh, known.name_en) : code;
}
function bundleName(code) {
  const known = state.names.bundles.get(code);
  return known ? tr(known.name_zh, known.name_en) : (code ?? "");
}
function figureKey(by, key) {
  if (by === "department") return departmentName(key);
  if (by === "channel" || (by === "window" && key === "online")) return said(CHANNEL, key);
  return key;
}
const workingDays = (n) => tr(`${n} 个工作日`, `${n} working day${n === 1 ? "" : "s"}`);
const percent = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
const number = (n) => (n === null || n === undefined ? "—" : String(n));


class ApiError extends Error {
  constructor(zh, en) { super(en); this.zh = zh; this.en = en; }
  get text() { return tr(this.zh, this.en); }
}

async function getJSON(url) {
  let answer;
  try {
    answer = await api(url);
  } catch (error) {
    if (error instanceof SignInNeeded) throw error;
    throw new ApiError("无法连接服务，请稍后重试", "Cannot reach the service; try again shortly");
  }
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const refusal = body.detail && body.detail.message_zh ? body.detail : body;
    throw new ApiError(refusal.message_zh || `请求失败（${answer.status}）`,
                       refusal.message_en || `The request failed (${answer.status})`);
  }
  return body;
}

function showError(id, error) {
  const box = $(id);
  if (error instanceof SignInNeeded) { showSignedOut(); return; }
  box.textContent = error instanceof ApiError ? error.text : tr("出错了，请刷新页面", "Something went wrong; reload");
  box.hidden = false;
}

// ---- loading ----------------------------------------------------------------------------------------------

async function loadNames() {
  // The catalogue is open to anyone: read without a token. Without it the board shows codes.
  try {
    const answer = await fetch(await serviceUrl("intake", "/catalogue"), { headers: { Accept: "application/json" } });
    if (!answer.ok) return;
    for (const bundle of (await answer.json()).bundles ?? []) {
      state.names.bundles.set(bundle.code, bundle);
      for (const d of bundle.departments ?? []) state.names.departments.set(d.code, d);
    }
  } catch { /* codes will do */ }
}

async function loadBoard() {
  $("load-error").hidden = true;
  const [clock, cards, late, rectifications] = await Promise.all([
    getJSON("/clock"), getJSON("/cards?state=open"), getJSON("/late-departments"), getJSON("/rectification-clocks"),
  ]);
  Object.assign(state, { today: clock.today, cards, late, rectifications });
  renderBoard();
  await loadFigures();
}

async function loadFigures() {
  const by = $("figures-by").value;
  // Supervision counts no channel (a case's channel is intake's and rating's): only satisfaction has one.
  const efficiency = by === "channel" ? Promise.resolve(null) : getJSON(`/figures?by=${by}`);
  const satisfaction = getJSON(await serviceUrl("rating", `/figures?by=${by}&period=week`));
  [state.efficiency, state.satisfaction] = await Promise.all([efficiency, satisfaction]);
  renderFigures();
}

// ---- the board --------------------------------------------------------------------------------------------

function cardBadge(colour) {
  return h("span", { class: `card-badge ${colour}` }, said(COLOUR, colour));
}

function whatOfCard(card) {
  if (card.item_code) return card.item_code;
  if (card.clock_kind === "case") return tr("一件事整体时限", "the whole case's limit");
  if (card.clock_kind === "rectification") return tr("差评整改", "rectification");
  return "";
}

function pastText(card) {
  if (card.working_days_past > 0) {
    return tr(`超期 ${card.working_days_past} 个工作日`, `${card.working_days_past} working day${
      card.working_days_past === 1 ? "" : "s"} past`);
  }
  return said(REASON, card.reason);
}

function orderText(order) {
  if (order.kind === "forced_stop") return tr("强制停止实施", "Forced stop");
  return tr(`督办：${order.respond_by} 前答复`, `Supervision order: answer by ${order.respond_by}`);
}

function renderCards() {
  const body = $("cards").tBodies[0];
  body.replaceChildren(...state.cards.map((card) => h("tr", { class: `row-${card.colour}` },
    h("td", {}, cardBadge(card.colour)),
    h("td", {}, h("button", { type: "button", class: "case-link", "data-case": card.case_id,
      "aria-label": tr(`打开办件 ${card.case_id}`, `Open case ${card.case_id}`) }, card.case_id)),
    h("td", {}, h("span", { class: "strong" }, bundleName(card.bundle_code)), h("br"), whatOfCard(card)),
    h("td", {}, departmentName(card.department, card.department_zh, card.department_en)),
    h("td", { class: "date" }, card.due_on),
    h("td", { class: card.working_days_past > 0 ? "late" : "" }, pastText(card)),
    h("td", {}, card.orders.length ? h("ul", { class: "orders" }, card.orders.map((o) => h("li", {}, orderText(o))))
      : "—"),
  )));
  $("cards").hidden = state.cards.length === 0;
  $("cards-empty").hidden = state.cards.length > 0;
}

function renderLate() {
  $("late").tBodies[0].replaceChildren(...state.late.map((d) => h("tr", {},
    h("th", { scope: "row" }, departmentName(d.department, d.department_zh, d.department_en)),
    h("td", {}, String(d.late_clocks)),
    h("td", {}, workingDays(d.worst_working_days_past)),
  )));
  const none = state.late.length === 0;
  $("late").hidden = none;
  $("late-empty").hidden = !none;
  const lateLabel = tr("超期计时数", "Late clocks");
  drawBars("late-chart", state.late.map((d) => departmentName(d.department, d.department_zh, d.department_en)),
    [{ label: lateLabel, data: state.late.map((d) => d.late_clocks) }], lateLabel, { integer: true });
}

function renderRectifications() {
  $("rectifications").tBodies[0].replaceChildren(...state.rectifications.map((r) => h("tr", {},
    h("td", {}, r.rectification_id),
    h("td", {}, h("button", { type: "button", class: "case-link", "data-case": r.case_id,
      "aria-label": tr(`打开办件 ${r.case_id}`, `Open case ${r.case_id}`) }, r.case_id)),
    h("td", {}, departmentName(r.department, r.department_zh, r.department_en)),
    h("td", { class: "date" }, r.started_on),
    h("td", { class: "date" }, r.due_on),
    h("td", { class: r.state === "overdue" ? "late" : "" }, said(CLOCK_STATE, r.state),
      r.state === "overdue" ? tr("，已督办", ", ordered") : ""),
  )));
  const none = state.rectifications.length === 0;
  $("rectifications").hidden = none;
  $("rectifications-empty").hidden = !none;
}

function renderStatus() {
  const red = state.cards.filter((c) => c.colour === "red").length;
  const yellow = state.cards.length - red;
  $("status").textContent = tr(
    `监察日 ${state.today}：在办红牌 ${red} 张、黄牌 ${yellow} 张；${state.late.length} 个部门持有超期计时。`,
    `Supervision day ${state.today}: ${red} red and ${yellow} yellow card${yellow === 1 ? "" : "s"} open; `
      + `${state.late.length} department${state.late.length === 1 ? "" : "s"} holding late clocks.`);
}

function renderBoard() {
  renderStatus();
  renderCards();
  renderLate();
  renderRectifications();
}

// ---- figures and charts --------------------------------------------------------------------------------------

function chartColours() {
  const style = getComputedStyle(document.documentElement);
  const senior = document.documentElement.classList.contains("senior");
  // Bars meet 3:1 against white (non-text contrast); the senior mode keeps to black and grey.
  return { ink: style.getPropertyValue("--ink").trim() || "#1a1a1a", rule: style.getPropertyValue("--rule").trim() || "#8a8f98",
    bars: senior ? ["#000000", "#6b6b6b"] : ["#0b4f9c", "#a4161a"], size: senior ? 19 : 13 };
}

// A horizontal bar chart (long department names read best down the side), one or more series (stacked). The
// canvas is an image named by its label; its figures are in the table that follows it.
function drawBars(canvasId, labels, series, label, { integer = false, percentScale = false } = {}) {
  charts[canvasId]?.destroy();
  delete charts[canvasId];
  const canvas = $(canvasId);
  canvas.parentElement.hidden = labels.length === 0;  // shown before drawing: a hidden box has no size
  canvas.setAttribute("aria-label", tr(`${label}（图表；数据见下表）`, `${label} (chart; the table below has the figures)`));
  if (!window.Chart || labels.length === 0) return;
  const colours = chartColours();
  const stacked = series.length > 1;
  canvas.parentElement.style.height = `${labels.length * colours.size * 2.8 + (stacked ? 80 : 48)}px`;
  const tick = { color: colours.ink, font: { size: colours.size } };
  charts[canvasId] = new window.Chart(canvas, {
    type: "bar",
    data: { labels, datasets: series.map((one, i) => ({ label: one.label, data: one.data,
      backgroundColor: colours.bars[i % colours.bars.length], borderColor: colours.bars[i % colours.bars.length] })) },
    options: {
      indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: stacked, labels: { color: colours.ink, font: { size: colours.size } } } },
      scales: {
        x: { stacked, beginAtZero: true, max: percentScale ? 100 : undefined, grid: { color: colours.rule },
          ticks: { ...tick, precision: integer ? 0 : undefined, callback: percentScale ? (v) => `${v}%` : undefined } },
        y: { stacked, grid: { display: false }, ticks: tick },
      },
    },
  });
}

function renderFigures() {
  const by = $("figures-by").value;
  const byName = $("figures-by").selectedOptions[0].textContent;
  for (const table of [$("efficiency"), $("satisfaction")]) table.querySelector(".key-col").textContent = byName;

  const efficiency = state.efficiency ?? [];
  $("efficiency-none").hidden = state.efficiency !== null && efficiency.length > 0;
  $("efficiency-none").textContent = state.efficiency === null
    ? tr("办理效能不按渠道统计（计时以部门、事项、窗口为单位）。", "Efficiency is not counted by channel (clocks are kept by department, item and window).")
    : tr("尚无办理效能数据。", "No efficiency figures yet.");
  $("efficiency").hidden = efficiency.length === 0;
  $("efficiency").tBodies[0].replaceChildren(...efficiency.map((f) => h("tr", {},
    h("th", { scope: "row" }, figureKey(by, f.key)), h("td", {}, number(f.cases)), h("td", {}, number(f.items_released)),
    h("td", {}, number(f.items_finished)), h("td", {}, percent(f.on_time_rate)), h("td", {}, number(f.mean_days)),
    h("td", {}, number(f.p90_days)), h("td", {}, number(f.yellow_per_100)), h("td", {}, number(f.red_per_100)),
  )));
  const rated = efficiency.filter((f) => f.on_time_rate !== null);
  const onTime = tr("按时办结率（%）", "On-time rate (%)");
  drawBars("efficiency-chart", rated.map((f) => figureKey(by, f.key)),
    [{ label: onTime, data: rated.map((f) => +(f.on_time_rate * 100).toFixed(1)) }], onTime, { percentScale: true });

  const satisfaction = state.satisfaction ?? [];
  $("satisfaction-none").hidden = satisfaction.length > 0;
  $("satisfaction-none").textContent = tr("本周尚无评价。", "No reviews this week yet.");
  $("satisfaction").hidden = satisfaction.length === 0;
  $("satisfaction").tBodies[0].replaceChildren(...satisfaction.map((f) => h("tr", {},
    h("th", { scope: "row" }, figureKey(by, f.key)), h("td", {}, number(f.total)), h("td", {}, percent(f.good_rate)),
    h("td", {}, number(f.dissatisfied + f.very_dissatisfied)), h("td", {}, number(f.mean_score)),
    h("td", {}, `${f.on_time_good} / ${f.on_time_total}`), h("td", {}, `${f.late_good} / ${f.late_total}`),
  )));
  const reviewed = satisfaction.filter((f) => f.total > 0);
  const bad = (f) => f.dissatisfied + f.very_dissatisfied;
  drawBars("satisfaction-chart", reviewed.map((f) => figureKey(by, f.key)), [
    { label: tr("好评", "Good reviews"), data: reviewed.map((f) => f.total - bad(f)) },
    { label: tr("差评", "Bad reviews"), data: reviewed.map(bad) },
  ], tr("好评与差评数", "Good and bad reviews"), { integer: true });
}

// ---- one case ---------------------------------------------------------------------------------------------

async function openCase(caseId, opener) {
  state.caseId = caseId;
  state.opener = opener ?? null;
  $("case-error").hidden = true;
  try {
    const [view, audit] = await Promise.all([
      getJSON(`/cases/${encodeURIComponent(caseId)}/supervision`), getJSON(`/cases/${encodeURIComponent(caseId)}/audit`),
    ]);
    Object.assign(state, { caseView: view, caseAudit: audit });
  } catch (error) {
    state.caseView = null;
    $("case").hidden = false;
    $("case-title").textContent = tr(`办件 ${caseId}`, `Case ${caseId}`);
    showError("case-error", error);
    return;
  }
  renderCase();
  $("case").hidden = false;
  $("case-title").focus();
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function renderCase() {
  const view = state.caseView;
  if (!view) return;
  $("case-title").textContent = tr(`办件 ${view.case_id} · ${bundleName(view.bundle_code)}`,
    `Case ${view.case_id} · ${bundleName(view.bundle_code)}`);
  const p = view.projection;
  const blocking = p.blocking_department === "applicant" ? tr("申请人（补正中）", "the applicant (correcting)")
    : p.blocking_department ? departmentName(p.blocking_department) : "—";
  $("case-summary").replaceChildren(
    ...fact(tr("阻塞部门", "Blocking department"), h("span", { class: "strong", id: "case-blocking" }, blocking,
      p.blocking_item ? ` · ${p.blocking_item}` : "")),
    ...fact(tr("受理日", "Accepted"), view.accepted_on),
    ...fact(tr("整体到期日", "The case is due"), p.due_on ?? "—"),
    ...fact(tr("预计办结", "Projected completion"), view.delivered_on
      ? tr(`已于 ${view.delivered_on} 办结`, `delivered ${view.delivered_on}`) : p.completion),
    ...fact(tr("受理窗口", "Window"), view.window_id ?? tr("网上办理", "online")),
  );
  const clocks = [view.case_clock, ...view.clocks, ...view.rectification_clocks].filter(Boolean);
  $("case-clocks").tBodies[0].replaceChildren(...clocks.map((c) => h("tr", { class: c.state === "overdue" ? "row-red" : "" },
    h("th", { scope: "row" }, c.rectification_id ? tr("差评整改", "rectification")
      : c.item_code ?? tr("一件事整体", "the whole case")),
    h("td", {}, departmentName(c.department)),
    h("td", {}, workingDays(c.budget_days)),
    h("td", { class: "date" }, c.started_on), h("td", { class: "date" }, c.due_on),
    h("td", { class: c.state === "overdue" ? "late" : "" }, said(CLOCK_STATE, c.state)),
    h("td", {}, c.working_days_left !== null && c.working_days_left < 0
      ? tr(`超期 ${-c.working_days_left}`, `${-c.working_days_left} past`) : number(c.working_days_left)),
  )));
  const orders = new Map(view.orders.map((o) => [o.card_id, o]));
  $("case-cards").replaceChildren(...(view.cards.length ? view.cards.map((card) => h("li", {},
    cardBadge(card.colour), ` ${card.issued_on} · `, card.item_code ?? tr("一件事整体", "the whole case"), " · ",
    departmentName(card.department), " · ", said(REASON, card.reason),
    orders.has(card.card_id) ? h("span", { class: "order" }, ` · ${orderText(orders.get(card.card_id))}`) : "",
    h("span", { class: "note zh-text", lang: "zh-CN" }, h("br"), card.text_zh),
  )) : [h("li", {}, tr("没有红黄牌。", "No cards."))]));
  $("case-audit").tBodies[0].replaceChildren(...state.caseAudit.map((fact) => h("tr", {},
    h("td", {}, new Date(fact.at).toLocaleString(currentLang(), { timeZone: "Asia/Shanghai" })),
    h("td", {}, said(EVENT, fact.event_type), h("span", { class: "code" }, h("br"), fact.event_type)),
    h("td", {}, fact.actor), h("td", {}, fact.item_code || "—"),
    h("td", { class: "code" }, h("abbr", { title: fact.evidence_sha256 }, `${fact.evidence_sha256.slice(0, 12)}…`)),
  )));
}

function closeCase() {
  $("case").hidden = true;
  state.caseView = null;
  const back = state.opener && document.body.contains(state.opener) ? state.opener : $("cards-title");
  back.focus();
}

// ---- signed in or not ------------------------------------------------------------------------------------------

function showSignedOut(wrongRole = false) {
  $("board").hidden = true;
  $("signed-out").hidden = false;
  // The prompt says what to do; the status line speaks only when the account signed in is the wrong one.
  $("status").textContent = wrongRole
    ? tr("当前账户不是监察人员：请退出后以监察人员身份登录。", "This account is not a supervisor's: sign out, then sign in as a supervisor.")
    : "";
}

async function showBoard() {
  $("signed-out").hidden = true;
  $("board").hidden = false;
  try {
    await loadBoard();
  } catch (error) {
    showError("load-error", error);
  }
}

function redraw() {
  if ($("board").hidden) return;
  renderBoard();
  renderFigures();
  renderCase();
}

async function start() {
  startShell();
  $("board-sign-in").addEventListener("click", () => signIn(ROLE));
  $("figures-by").addEventListener("change", () => loadFigures().catch((e) => showError("load-error", e)));
  $("case-close").addEventListener("click", closeCase);
  $("case").addEventListener("keydown", (event) => { if (event.key === "Escape") closeCase(); });
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("button.case-link");
    if (button) openCase(button.dataset.case, button);
  });
  document.addEventListener("shell:lang", redraw);
  // The senior switch changes type and colours: the charts are drawn again in them (after the shell's handler).
  $("senior-switch").addEventListener("click", () => setTimeout(redraw));

  let me = null;
  try { me = await finishSignIn(); } catch { me = null; }
  showSession($("shell-session"), ROLE, () => showSignedOut());  // after finishing: it shows who is signed in now
  if (!me || !me.roles.includes(ROLE)) showSignedOut(Boolean(me));
  else {
    await loadNames();
    await showBoard();
  }
  document.body.dataset.ready = "true";  // for tests: the first drawing is done
}

start();
