// Building a page's elements (页面元素): built, never parsed from strings, so what a service says goes in as text.
//   h("p", { class: "note", onclick: handler }, "text", otherElement, [more, children])
// An attribute that is false, null or undefined is left out; true gives the bare attribute; on… adds a listener.
// Children may nest in lists; null, undefined and false are skipped; anything else not a node becomes its text.

import { tr } from "./shell.js";

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A file picker that speaks the page's language (the browser's own button speaks the browser's): the real input,
 *  transparent over a face that names the chosen file, redrawn when the file or the language changes. ``attrs`` go
 *  on the input (its id, for its label; aria-describedby …). */
export function fileField(attrs) {
  const input = h("input", { type: "file", ...attrs });
  const button = h("span", { class: "file-button" });
  const chosen = h("span", { class: "file-name" });
  const box = h("div", { class: "file-box" }, input, h("span", { class: "file-face", "aria-hidden": "true" }, button, chosen));
  const draw = () => {
    if (!box.isConnected && box.dataset.drawn) { document.removeEventListener("shell:lang", draw); return; }
    box.dataset.drawn = "true";
    const file = input.files?.[0];
    button.textContent = tr("选择文件", "Choose a file");
    chosen.textContent = file ? tr(`已选：${file.name}`, `Chosen: ${file.name}`) : tr("未选择文件", "No file chosen");
  };
  input.addEventListener("change", draw);
  document.addEventListener("shell:lang", draw);
  draw();
  return box;
}
