// 证照验真: the e-licence verification page. A client of the licence service's public route, from this origin:
// POST /verify/document with what was presented (a QR payload or credential as text, or the licence file) as the
// body; it answers the verdict, its reason and, when the issuer's signature holds, the particulars (holder masked).
// Opened from a printed licence's link (/?licence=ID), it checks that licence by its number instead
// (GET /licences/{id}/verification): the verdict only, no particulars, which the reader compares with the paper.
import { startShell, tr } from "/shell/shell.js";
import { $, h } from "/shell/dom.js";

const MAX_FILE_BYTES = 1024 * 1024;  // the service's body limit (a licence PDF is well under 100 kB)

// The verdict's heading and tone, by the service's reason.
const VERDICT = {
  valid: ["ok", "✔ 真实有效", "✔ Genuine and in force"],
  revoked: ["bad", "✘ 不可使用：证照已被撤销", "✘ Not usable: the licence has been revoked"],
  suspended: ["bad", "✘ 不可使用：证照已暂停使用", "✘ Not usable: the licence is suspended"],
  expired: ["bad", "✘ 不可使用：证照已过有效期", "✘ Not usable: the licence has expired"],
  not_yet_valid: ["bad", "✘ 暂不可用：证照尚未生效", "✘ Not usable yet: the licence is not in force yet"],
  status_unavailable: ["warn", "⚠ 签名真实，但未能确认是否已被撤销", "⚠ Genuine signature, but revocation could not be ruled out"],
  tampered: ["bad", "✘ 验真未通过：证照内容已被改动", "✘ Not genuine: the licence was altered"],
  wrong_key: ["bad", "✘ 验真未通过：签名不是签发机关的", "✘ Not genuine: the signature is not the issuer's"],
  untrusted_issuer: ["bad", "✘ 验真未通过：签发机关不可信", "✘ Not genuine: the issuer is not trusted here"],
  malformed: ["bad", "✘ 验真未通过：不是完整的电子证照", "✘ Cannot be verified: not a complete e-licence"],
};
// Why, in plain words, and what to do.
const WHY = {
  revoked: ["签发机关已撤销这份证照，它不再有效，撤销不可恢复。如有疑问，请联系签发机关。",
            "The issuing department has revoked this licence: it is no longer in force, for good. Ask the issuer if in doubt."],
  suspended: ["签发机关已暂停这份证照的使用，恢复前不能作为有效证照使用。",
              "The issuing department has suspended this licence: it cannot be relied on until it is reinstated."],
  expired: ["证照已超过有效期。请持证人申请换发或延续。", "The licence is past its validity period. The holder may apply to renew it."],
  not_yet_valid: ["证照的有效期尚未开始。", "The licence's validity period has not begun."],
  status_unavailable: ["签名、签发机关和有效期核验通过，但暂时取不到签发机关的状态列表，不能确认是否已被撤销。请稍后再试。",
                       "The signature, the issuer and the validity period check out, but the issuer's status list could not be had, so revocation cannot be ruled out. Try again later."],
  tampered: ["证照内容与签发机关签名时不一致：签发后被改动过，哪怕只改了一个字符。请以签发机关核发的原件为准。",
             "The licence differs from what the issuer signed: it was changed after signing, even if by one character. Rely only on the original from the issuer."],
  wrong_key: ["签名所用的密钥不属于该签发机关（或签名时该密钥未启用），证照可能是伪造的。",
              "The signing key is not one of the issuer's keys in service when it signed: the licence may be forged."],
  untrusted_issuer: ["签发机关不在本中心的可信签发机关名录中，也不是互认的外地机关，无法确认证照真实。",
                     "The issuer is neither on this centre's trust list nor a recognised issuer of another region, so the licence cannot be confirmed."],
  malformed: ["所给内容不是完整的电子证照，可能复制不全。请重新扫码，或改用证照文件。",
              "What was given is not a complete e-licence: perhaps it was not copied whole. Scan again, or use the licence file."],
};
const STATE_TONE = { active: "ok", unknown: "warn" };

let last = null;  // the last answer, drawn again when the language changes
let said = null;  // what the status line says, [zh, en], likewise

function say(words) {
  said = words;
  $("busy").textContent = words ? tr(words[0], words[1]) : "";
}

function drawFileName() {
  const file = $("file").files[0];
  $("file-name").textContent = file ? tr(`已选：${file.name}（将核验此文件）`, `Chosen: ${file.name} (this file is verified)`)
    : tr("未选择文件", "No file chosen");
}


function day(iso) {
  if (!iso) return null;
  const [y, m, d] = iso.split("-").map(Number);
  return tr(`${y}年${m}月${d}日`, iso);
}

function validity(licence) {
  const start = day(licence.valid_from);
  if (!licence.valid_until) return tr(`${start}起，长期有效`, `from ${start}, long-term`);
  return tr(`${start} 至 ${day(licence.valid_until)}`, `${start} to ${day(licence.valid_until)}`);
}

function row(th, td) {
  return h("tr", {}, h("th", { scope: "row" }, th), h("td", {}, td));
}

function draw(answer, byNumber = null) {
  const [tone, zh, en] = VERDICT[answer.reason] || ["bad", "✘ 验真未通过", "✘ Not verified"];
  const genuineButUnchecked = answer.valid && !answer.status_checked;
  const result = $("result");
  result.className = `result ${genuineButUnchecked ? "warn" : tone}`;
  $("verdict").textContent = genuineButUnchecked
    ? tr("✔ 签名真实（未核验状态）", "✔ Genuine signature (status not checked)") : tr(zh, en);
  // The service's English is a phrase ("the issuer has revoked the licence"): shown as a sentence.
  const sentence = answer.message_en ? `${answer.message_en[0].toUpperCase()}${answer.message_en.slice(1)}.` : "";
  $("message").textContent = tr(answer.message_zh, sentence);

  const why = WHY[answer.reason];
  $("why").hidden = !why;
  if (why) $("why-text").textContent = tr(why[0], why[1]);

  const body = $("particulars-body");
  body.replaceChildren();
  const licence = answer.licence;
  $("particulars").hidden = !licence;
  if (licence) {
    const issuer = [licence.issuer_name_zh || answer.issuer_name_zh || "—"];
    if (answer.recognised) issuer.push(" ", h("span", { class: "badge info" }, tr("外地互认", "recognised, another region")));
    body.append(
      row(tr("证照名称", "Licence"), tr(licence.name_zh, licence.name_en)),
      row(tr("证照编号", "Licence No."), licence.number),
      row(tr("持证人", "Holder"), licence.holder_name_masked),
      row(tr("证件号码", "ID No."), licence.holder_id_masked),
      row(tr("签发机关", "Issued by"), issuer),
      row(tr("有效期", "Valid"), validity(licence)),
      row(tr("当前状态", "Status now"),
          h("span", { class: `badge state ${STATE_TONE[licence.state] || "bad"}` }, tr(licence.state_zh, licence.state_en))),
    );
  }
  // Without particulars (the signature did not hold), the issuer it names is a claim, said as one.
  const claimed = !licence && !byNumber && answer.issuer_name_zh;
  $("claimed").hidden = !claimed;
  if (claimed) {
    $("claimed").textContent = tr(`证照自称由「${answer.issuer_name_zh}」签发，但未能证实；其内容不予显示。`,
                                  `The licence claims to be issued by ${answer.issuer_name_zh}, which could not be proven; its content is not shown.`);
  }
  // Status is only looked at for a licence whose signature held: say whether it was, for those alone.
  const scope = !licence ? "" : answer.status_checked
    ? tr("已向签发机关的状态列表核验撤销与暂停状态。", "Revocation and suspension were checked against the issuer's status lists.")
    : tr("未核验撤销与暂停状态。", "Revocation and suspension were not checked.");
  const id = answer.credential_id ? `${tr("凭证编号：", "Credential: ")}${answer.credential_id}` : "";
  const number = byNumber ? tr("按打印版上的链接核验本中心存档的这份证照；持证人信息不在线显示，请与纸面核对。",
    "Checked against this centre's record of the licence the printed link names; the holder is not shown online: compare with the paper.") : "";
  $("scope").textContent = [number, scope, id].filter(Boolean).join(" ");
  result.hidden = false;
}

function showError(zh, en) {
  last = { error: [zh, en] };
  $("result").hidden = true;
  const box = $("error");
  box.textContent = tr(zh, en);
  box.hidden = false;
  box.focus();
}

async function presented() {
  const file = $("file").files[0];
  if (file) {
    if (file.size > MAX_FILE_BYTES) return { tooBig: true };
    return { body: await file.arrayBuffer(), type: file.type || "application/octet-stream" };
  }
  const text = $("text").value.trim();
  return text ? { body: text, type: "text/plain;charset=utf-8" } : null;
}

async function verify(event) {
  event.preventDefault();
  $("error").hidden = true;
  const given = await presented();
  if (!given) {
    showError("请先粘贴二维码内容或证照数据，或选择证照文件。", "Paste the QR code content or the credential, or choose the licence file, first.");
    $("text").focus();
    return;
  }
  if (given.tooBig) {
    showError("文件超过 1 MB，不是本系统的电子证照文件。", "The file is over 1 MB: it is not one of this system's licence files.");
    return;
  }
  say(["正在核验…", "Verifying…"]);
  $("verify").disabled = true;
  let response;
  try {
    response = await fetch("/verify/document", {
      method: "POST", headers: { "Content-Type": given.type, Accept: "application/json" }, body: given.body,
    });
  } catch {
    showError("无法连接电子证照服务，请稍后重试。", "Cannot reach the licence service; try again shortly.");
    return;
  } finally {
    say(null);
    $("verify").disabled = false;
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const said = answer.detail && answer.detail.message_zh ? answer.detail : {};
    showError(said.message_zh || `核验请求失败（${response.status}），请稍后重试。`,
              said.message_en || `The verification request failed (${response.status}); try again shortly.`);
    return;
  }
  last = { answer };
  draw(answer);
  say(["核验完成，结果如下。", "Verified: the result follows."]);
  $("verdict").focus();
}

// A printed licence's link names the licence: its verdict, by number, from this centre's record.
async function verifyNumber(licenceId) {
  say(["正在按编号核验…", "Verifying by number…"]);
  let response;
  try {
    response = await fetch(`/licences/${encodeURIComponent(licenceId)}/verification`, { headers: { Accept: "application/json" } });
  } catch {
    say(null);
    showError("无法连接电子证照服务，请稍后重试。", "Cannot reach the licence service; try again shortly.");
    return;
  }
  say(null);
  if (response.status === 404) {
    showError("本中心没有这个编号的证照。请核对链接，或出示证照文件核验。",
              "This centre has no licence with this number. Check the link, or present the licence file.");
    return;
  }
  if (!response.ok) {
    showError(`核验请求失败（${response.status}），请稍后重试。`, `The verification request failed (${response.status}); try again shortly.`);
    return;
  }
  const answer = await response.json();
  last = { answer, byNumber: licenceId };
  draw(answer, licenceId);
  say(["核验完成，结果如下。", "Verified: the result follows."]);
  $("verdict").focus();
}

function redraw() {
  say(said);
  drawFileName();
  if (!last) return;
  if (last.answer) draw(last.answer, last.byNumber ?? null);
  else if (last.error) $("error").textContent = tr(last.error[0], last.error[1]);
}

function start() {
  startShell();
  $("check").addEventListener("submit", verify);
  $("file").addEventListener("change", drawFileName);
  $("check").addEventListener("reset", () => {
    last = null;
    $("result").hidden = true;
    $("error").hidden = true;
    say(null);
    setTimeout(drawFileName);  // the form clears its fields after this event
  });
  drawFileName();
  document.addEventListener("shell:lang", redraw);
  const printed = new URLSearchParams(window.location.search).get("licence");
  if (printed) verifyNumber(printed).finally(() => { document.body.dataset.ready = "true"; });
  else document.body.dataset.ready = "true";
}

start();
