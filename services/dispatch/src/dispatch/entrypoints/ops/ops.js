// 运维室 The ops room: a client of the system's own APIs with the operator's token. Every process's open
// /healthz, /readyz and /metrics (Prometheus text, read here), every service's /dead-letters (with the re-drive),
// and dispatch's /ops/restarts and /traces/{case_id}; the other services across origins (CORS).
import { startShell, tr } from "/shell/shell.js";
import { $, h } from "/shell/dom.js";
import { SignInNeeded, api, finishSignIn, links, session, showSession, signIn } from "/shell/session.js";

const ROLE = "operator";
const ORDER = ["intake", "dispatch", "licence", "supervision", "rating", "gateway", "simulators"];
const NAMES = {
  intake: ["受理", "intake"], dispatch: ["分办", "dispatch"], licence: ["电子证照", "licence"],
  supervision: ["监察", "supervision"], rating: ["评价", "rating"], gateway: ["部门网关", "gateway"],
  simulators: ["模拟部门与统一身份认证", "simulators"],
};
const FAILURE = {  // docs/reliability.md's classes of a dead letter
  signature: ["签名无效", "bad signature"], security: ["越权发布", "not its to publish"],
  malformed: ["格式错误", "malformed"], rejected: ["业务拒绝", "refused by the rules"],
  constraint: ["违反数据约束", "broke a database constraint"], poison: ["无法处理", "can never succeed"],
  unexpected: ["未预料的故障", "unexpected failure"],
};
const STATES = {
  pending: ["待重投", "pending"], redriven: ["重投成功", "re-driven"], already_applied: ["早已生效", "applied already"],
  failed_again: ["再次失败", "failed again"], skipped: ["已跳过", "skipped"],
};

const state = { services: [], health: new Map(), restarts: null, letters: [], trace: null, checkedAt: null };
const said = (pair, fallback = "") => (pair ? tr(pair[0], pair[1]) : fallback);
const serviceName = (name) => said(NAMES[name], name);

// A dotted name (a topic) may break after its dots where the column is narrow (the senior mode), never inside a word.
const dotted = (text) => text.split(/(?<=\.)/).flatMap((part, i) => (i ? [h("wbr"), part] : [part]));
const badge = (kind, text) => h("span", { class: `badge ${kind}` }, text);

function when(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  return at.toLocaleString(tr("zh-CN", "en-GB"), { hour12: false, month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function announce(text) {
  $("status").textContent = text;
}

// ---- the Prometheus text format: the samples of the families read here -----------------------------------------

/** [{name, labels, value}] of every sample line (comments and blank lines passed over). */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const found = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!found) continue;
    const labels = {};
    for (const [, key, value] of (found[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value.replace(/\\n/g, "\n").replace(/\\"/g, "\"").replace(/\\\\/g, "\\");
    }
    samples.push({ name: found[1], labels, value: Number(found[3]) });
  }
  return samples;
}

// ---- reading every process --------------------------------------------------------------------------------------

async function openJson(url) {
  try {
    const answer = await fetch(url, { headers: { Accept: "application/json" } });
    return { status: answer.status, body: await answer.json().catch(() => null) };
  } catch {
    return { status: 0, body: null };
  }
}

async function openText(url) {
  try {
    const answer = await fetch(url);
    return answer.ok ? await answer.text() : null;
  } catch {
    return null;
  }
}

async function readProcess(name, base) {
  const [alive, ready, metrics] = await Promise.all([
    openJson(`${base}/healthz`), openJson(`${base}/readyz`), openText(`${base}/metrics`)]);
  const samples = metrics === null ? [] : parseMetrics(metrics);
  const started = samples.find((s) => s.name === "process_start_time_seconds");
  const lag = samples.filter((s) => s.name === "onething_consumer_lag_records")
    .map((s) => ({ group: s.labels.group, topic: s.labels.topic, records: s.value }));
  return { name, base, alive, ready, metricsRead: metrics !== null, startedAt: started ? started.value * 1000 : null, lag };
}

async function readLetters(name, base) {
  const answer = await api(`${base}/dead-letters?limit=100`);
  if (answer.status === 404) return [];  // a process without a database keeps no dead letters
  if (!answer.ok) throw new Error(`${name}: /dead-letters ${answer.status}`);
  const body = await answer.json();
  return body.items.map((item) => ({ ...item, service: name, base }));
}

async function readRestarts() {
  const answer = await api("/ops/restarts");
  return answer.ok ? answer.json() : null;
}

async function refresh() {
  $("refresh").disabled = true;
  announce(tr("正在读取各进程…", "Reading every process…"));
  try {
    const urls = await links();
    state.services = ORDER.filter((name) => urls[name]).map((name) => ({ name, base: urls[name] }));
    const [processes, letters, restarts] = await Promise.all([
      Promise.all(state.services.map((s) => readProcess(s.name, s.base))),
      Promise.all(state.services.filter((s) => s.name !== "simulators").map((s) => readLetters(s.name, s.base))),
      readRestarts(),
    ]);
    state.health = new Map(processes.map((p) => [p.name, p]));
    state.letters = letters.flat().sort((a, b) => b.failed_at.localeCompare(a.failed_at));
    state.restarts = restarts;
    state.checkedAt = new Date();
    render();
    announce(summaryText());
  } catch (error) {
    if (error instanceof SignInNeeded) { showSignedOut(); return; }
    announce(tr(`读取失败：${error.message}`, `Reading failed: ${error.message}`));
  } finally {
    $("refresh").disabled = false;
  }
}

function summaryText() {
  const all = [...state.health.values()];
  const healthy = all.filter((p) => p.alive.status === 200 && p.ready.status === 200).length;
  const pending = state.letters.filter((l) => l.state === "pending").length;
  return tr(`${all.length} 个进程中 ${healthy} 个健康；待重投死信 ${pending} 条`,
            `${healthy} of ${all.length} processes healthy; ${pending} dead letter(s) pending`);
}

// ---- drawing ----------------------------------------------------------------------------------------------------

function deadLetterCounts(process) {
  const counts = process.alive.body?.dead_letters;
  if (!counts) return null;
  let total = 0, pending = 0;
  for (const topic of Object.values(counts)) { total += topic.total; pending += topic.pending; }
  return { total, pending };
}

function renderProcesses() {
  const rows = [...state.health.values()].map((p) => {
    const alive = p.alive.status === 200
      ? badge("ok", tr("存活", "alive")) : badge("bad", tr("无应答", "not answering"));
    const failing = Object.entries(p.ready.body?.checks ?? {}).filter(([, check]) => !check.ok);
    const ready = p.ready.status === 200 ? badge("ok", tr("就绪", "ready")) : h("span", {},
      badge("bad", tr("未就绪", "not ready")),
      failing.map(([check, c]) => h("span", { class: "reason" }, `${check}: ${c.reason}`)));
    const restarts = state.restarts?.known ? String(state.restarts.processes[p.name]?.restarts ?? 0) : "—";
    const letters = deadLetterCounts(p);
    const lettersText = letters === null ? "—" : `${letters.pending} / ${letters.total}`;
    return h("tr", { "data-process": p.name },
      h("th", { scope: "row" }, serviceName(p.name)),
      h("td", {}, alive), h("td", {}, ready),
      h("td", {}, p.startedAt ? when(new Date(p.startedAt).toISOString()) : "—"),
      h("td", { class: "number" }, restarts),
      h("td", { class: "number" }, lettersText));
  });
  $("processes").tBodies[0].replaceChildren(...rows);
  $("restarts-note").textContent = state.restarts?.known
    ? tr(`重启次数由 onething up 的守护进程记录（本次启动以来共 ${state.restarts.restart_count} 次）。`,
         `Restarts as the supervisor of onething up counts them (${state.restarts.restart_count} since it started).`)
    : tr("重启次数：本系统不是由 onething up 启动的（如 docker compose），请查看编排器（docker compose ps）；启动时间取自各进程的 /metrics。",
         "Restarts: this system was not started by onething up (docker compose, say): ask the orchestrator (docker compose ps); start times come from each process's /metrics.");
}

const TOPICS_LISTED = 4;  // a group reading more topics (the simulated departments) shows them on request

function renderLag() {
  // One row per process and consumer group: the lag summed over its topics, the topics behind named.
  const rows = [];
  for (const p of state.health.values()) {
    const groups = new Map();
    for (const lag of p.lag) groups.set(lag.group, [...(groups.get(lag.group) ?? []), lag]);
    for (const [group, topics] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      topics.sort((a, b) => b.records - a.records || a.topic.localeCompare(b.topic));
      const total = topics.reduce((sum, t) => sum + t.records, 0);
      const named = (list) => list.map((t) => h("li", {}, h("code", {}, t.topic), t.records > 0 ? ` ${t.records}` : ""));
      const topicCell = topics.length <= TOPICS_LISTED
        ? h("ul", { class: "topics" }, named(topics))
        : h("details", {}, h("summary", {}, tr(`${topics.length} 个主题`, `${topics.length} topics`),
            topics.some((t) => t.records > 0) ? tr("（有滞后）", " (some behind)") : ""),
          h("ul", { class: "topics" }, named(topics)));
      rows.push(h("tr", { "data-group": group },
        h("td", {}, serviceName(p.name)), h("td", {}, h("code", {}, group)), h("td", {}, topicCell),
        h("td", { class: "number" }, total > 0 ? badge("warn", String(total)) : "0")));
    }
  }
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 4 }, tr("尚无消费滞后数据", "No lag figures yet"))));
  }
  $("lag").tBodies[0].replaceChildren(...rows);
}

function reasonOf(letter) {
  return h("span", {},
    h("strong", {}, said(FAILURE[letter.failure_class], letter.failure_class)), " ",
    h("code", {}, letter.error_type),
    h("span", { class: "reason" }, letter.error_message));
}

function renderLetters() {
  const rows = state.letters.map((letter) => {
    const key = `${letter.service}/${letter.id}`;
    const action = letter.state === "pending"
      ? h("button", { type: "button", class: "redrive", "data-letter": key,
          "aria-label": tr(`重新投递死信 ${key}`, `Re-drive dead letter ${key}`) }, tr("重新投递", "Re-drive"))
      : "—";
    const stateKind = letter.state === "pending" ? "warn" : letter.state === "failed_again" ? "bad" : "ok";
    return h("tr", { "data-letter": key },
      h("th", { scope: "row" }, `${serviceName(letter.service)} #${letter.id}`),
      h("td", {}, h("code", {}, dotted(letter.topic)), h("br"), h("code", { class: "group" }, letter.consumer_group)),
      h("td", {}, reasonOf(letter)),
      h("td", {}, letter.case_id ? h("code", {}, letter.case_id) : "—"),
      h("td", {}, when(letter.failed_at)),
      h("td", { class: "letter-state", tabindex: -1 }, badge(stateKind, said(STATES[letter.state], letter.state))),
      h("td", {}, action));
  });
  $("letters").tBodies[0].replaceChildren(...rows);
  $("letters").hidden = rows.length === 0;
  $("letters-empty").hidden = rows.length !== 0;
}

function renderCheckedAt() {
  $("checked-at").textContent = state.checkedAt
    ? tr(`读取于 ${when(state.checkedAt.toISOString())}`, `Read at ${when(state.checkedAt.toISOString())}`) : "";
}

function render() {
  renderProcesses();
  renderLag();
  renderLetters();
  renderCheckedAt();
  renderLive();
  if (state.trace) renderTrace();
}

// ---- re-drive ---------------------------------------------------------------------------------------------------

const OUTCOME = {
  redriven: ["重投成功：已由原消费者处理", "Re-driven: the consumer applied it"],
  already_applied: ["早已生效：无需再处理", "Applied already: nothing more to do"],
  failed_again: ["再次失败：已另存为新的死信", "Failed again: kept as a new dead letter"],
  skipped: ["已跳过", "Skipped"],
};

async function redrive(key) {
  const letter = state.letters.find((l) => `${l.service}/${l.id}` === key);
  if (!letter) return;
  const button = document.querySelector(`button[data-letter="${key}"]`);
  if (button) button.disabled = true;
  try {
    const answer = await api(`${letter.base}/dead-letters/${letter.id}/redrive`, { method: "POST" });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const detail = body.detail ?? {};
      announce(tr(`${key} 未能重投：${detail.message_zh ?? answer.status}`,
                  `${key} not re-driven: ${detail.message_en ?? answer.status}`));
      if (button) button.disabled = false;
      return;
    }
    await refresh();
    const again = body.new_dead_letter_id ? tr(`（新死信 ${letter.service}/${body.new_dead_letter_id}）`,
      ` (new dead letter ${letter.service}/${body.new_dead_letter_id})`) : "";
    announce(`${key} ${said(OUTCOME[body.outcome], body.outcome)}${again}`);
    document.querySelector(`tr[data-letter="${key}"] .letter-state`)?.focus();
  } catch (error) {
    if (error instanceof SignInNeeded) { showSignedOut(); return; }
    announce(tr(`${key} 未能重投：${error.message}`, `${key} not re-driven: ${error.message}`));
    if (button) button.disabled = false;
  }
}

// ---- the trace waterfall ----------------------------------------------------------------------------------------

async function showTrace(caseId) {
  $("trace-error").hidden = true;
  try {
    const answer = await api(`/traces/${encodeURIComponent(caseId)}`);
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      state.trace = null;
      $("trace").hidden = true;
      $("trace-error").textContent = tr(body.detail?.message_zh ?? `读取失败（${answer.status}）`,
                                        body.detail?.message_en ?? `Reading failed (${answer.status})`);
      $("trace-error").hidden = false;
      return;
    }
    state.trace = body;
    renderTrace();
    $("trace-summary").focus();
  } catch (error) {
    if (error instanceof SignInNeeded) showSignedOut();
    else throw error;
  }
}

function spanRow(span, start, length) {
  const bar = h("span", { class: `bar service-${span.service}${span.status === "error" ? " failed" : ""}` });
  const width = Math.min(Math.max((span.duration_ms / length) * 100, 0.5), 100);
  const left = Math.min(((span.offset_ms - start) / length) * 100, 100 - width);  // a short last span stays inside
  bar.style.left = `${left}%`;  // CSSOM, not a style attribute: the CSP allows it
  bar.style.width = `${width}%`;
  const label = h("span", { class: "span-label" },
    h("span", { class: "span-service" }, span.service),
    h("span", { class: "span-name", "data-depth": Math.min(span.depth, 8) }, span.name,
      span.status === "error" ? ` ✗ ${tr("出错", "error")}` : ""));
  const timing = h("span", { class: "span-time" },
    tr(`+${(span.offset_ms - start).toFixed(1)} 毫秒，历时 ${span.duration_ms.toFixed(1)} 毫秒`,
       `+${(span.offset_ms - start).toFixed(1)} ms, ${span.duration_ms.toFixed(1)} ms`));
  return h("li", { class: "span-row" }, label, h("span", { class: "track", "aria-hidden": "true" }, bar), timing);
}

function renderTrace() {
  const trace = state.trace;
  $("trace-summary").textContent = tr(
    `办件 ${trace.case_id}：${trace.spans.length} 个环节，${trace.traces} 条链路，经过 ${trace.services.length} 个进程（${trace.services.join("、")}），从第一个环节开始到最后一个结束共 ${trace.total_ms.toFixed(1)} 毫秒`,
    `Case ${trace.case_id}: ${trace.spans.length} spans, ${trace.traces} trace(s), ${trace.services.length} processes (${trace.services.join(", ")}), ${trace.total_ms.toFixed(1)} ms from the first span's start to the last one's end`);
  // A case has several traces (the application's, then one per later call about it, such as a re-drive), often
  // seconds apart: each is drawn on its own time axis, so its spans stay readable.
  const traces = new Map();
  for (const span of trace.spans) traces.set(span.trace_id, [...(traces.get(span.trace_id) ?? []), span]);
  const groups = [...traces.values()].map((spans, index) => {
    const start = spans[0].offset_ms;
    const end = Math.max(...spans.map((s) => s.offset_ms + s.duration_ms));
    const length = Math.max(end - start, 0.001);
    const services = [...new Set(spans.map((s) => s.service))];
    return h("li", { class: "trace-group" },
      h("h3", {}, tr(`链路 ${index + 1}：${spans[0].name}`, `Trace ${index + 1}: ${spans[0].name}`)),
      h("p", { class: "note" }, tr(
        `开始于第一个环节后 ${start.toFixed(1)} 毫秒；${spans.length} 个环节，${services.join("、")}，历时 ${length.toFixed(1)} 毫秒`,
        `${start.toFixed(1)} ms after the first span; ${spans.length} spans, ${services.join(", ")}, ${length.toFixed(1)} ms`)),
      h("ol", { class: "spans" }, spans.map((span) => spanRow(span, start, length))));
  });
  $("waterfall").replaceChildren(...groups);
  $("trace").hidden = false;
}

// ---- the case stream, live ------------------------------------------------------------------------------------
// EventSource cannot send a bearer token, so the stream is read with fetch() and its body's reader; the server
// ends a stream after a few minutes and the page opens the next one.

const LIVE_KEPT = 50;
const live = { controller: null, events: [], received: 0 };

function parseFrames(buffer, onEvent) {
  const frames = buffer.split("\n\n");
  const rest = frames.pop();
  for (const frame of frames) {
    let kind = "message";
    const data = [];
    for (const line of frame.split("\n")) {
      if (line.startsWith("event:")) kind = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (kind === "case-event" && data.length) onEvent(JSON.parse(data.join("\n")));
  }
  return rest;
}

const pause = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
});

// The server ends each stream after a while and the page opens the next; a stream that ends at once (a fault
// behind it) is opened again only after a pause that doubles, so a broken server is not asked in a tight loop.
async function receive(controller) {
  let wait = 1000;
  while (!controller.signal.aborted) {
    const opened = Date.now();
    const answer = await api("/ops/case-events", { signal: controller.signal, headers: { Accept: "text/event-stream" } });
    if (!answer.ok) throw new Error(`/ops/case-events ${answer.status}`);
    renderLiveState();
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseFrames(buffer + value, (event) => {
        live.events.unshift(event);
        live.events.length = Math.min(live.events.length, LIVE_KEPT);
        live.received += 1;
        renderLive();
      });
    }
    wait = Date.now() - opened > 10_000 ? 1000 : Math.min(wait * 2, 30_000);
    await pause(wait, controller.signal);
  }
}

async function startLive() {
  const controller = new AbortController();
  live.controller = controller;
  renderLiveState();
  announce(tr("开始接收办件事件", "Receiving case events"));
  try {
    await receive(controller);
  } catch (error) {
    if (controller.signal.aborted) return;
    if (error instanceof SignInNeeded) { showSignedOut(); return; }
    live.controller = null;
    renderLiveState();
    announce(tr(`事件流中断：${error.message}`, `The stream stopped: ${error.message}`));
  }
}

function stopLive() {
  live.controller?.abort();
  live.controller = null;
  renderLiveState();
  announce(tr("已停止接收办件事件", "Stopped receiving case events"));
}

function renderLiveState() {
  const on = live.controller !== null;
  const button = $("live-switch");
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? tr("停止接收", "Stop receiving") : tr("开始接收", "Start receiving");
  $("live-state").textContent = on
    ? tr(`正在接收，已收到 ${live.received} 条`, `Receiving; ${live.received} received`)
    : (live.received ? tr(`已停止，共收到 ${live.received} 条`, `Stopped; ${live.received} received`) : "");
}

function renderLive() {
  const rows = live.events.map((event) => h("tr", {},
    h("td", {}, when(event.time)),
    h("td", {}, h("code", {}, event.type), event.version > 1 ? ` v${event.version}` : ""),
    h("td", {}, h("code", {}, event.case_id)),
    h("td", {}, serviceName(event.source))));
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 4 }, tr("尚未收到事件", "No events received yet"))));
  $("live").tBodies[0].replaceChildren(...rows);
  renderLiveState();
}

// ---- signing in -------------------------------------------------------------------------------------------------

function showSignedOut() {
  if (live.controller) stopLive();
  $("room").hidden = true;
  $("signed-out").hidden = false;
}

function showRoom() {
  $("signed-out").hidden = true;
  $("room").hidden = false;
  refresh();
}

async function start() {
  startShell();
  const me = await finishSignIn();
  showSession($("shell-session"), ROLE, showSignedOut);
  $("sign-in-operator").addEventListener("click", () => signIn(ROLE));
  $("refresh").addEventListener("click", refresh);
  $("live-switch").addEventListener("click", () => (live.controller ? stopLive() : startLive()));
  $("letters").addEventListener("click", (event) => {
    const button = event.target.closest("button.redrive");
    if (button) redrive(button.dataset.letter);
  });
  $("trace-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const caseId = $("trace-case").value.trim();
    if (caseId) showTrace(caseId);
  });
  document.addEventListener("shell:lang", () => { if (!$("room").hidden) { render(); announce(summaryText()); } });
  if (me && session()?.roles.includes(ROLE)) showRoom();
  else showSignedOut();
}

start();
