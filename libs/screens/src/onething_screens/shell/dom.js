// Building a page's elements (页面元素): built, never parsed from strings, so what a service says goes in as text.
//   h("p", { class: "note", onclick: handler }, "text", otherElement, [more, children])
// An attribute that is false, null or undefined is left out; true gives the bare attribute; on… adds a listener.
// Children may nest in lists; null, undefined and false are skipped; anything else not a node becomes its text.

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
