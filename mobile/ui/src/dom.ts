// A few lines of DOM building, so views read as the markup they make.
//
//   h("button", { testid: "claim-selected", class: "primary", onclick: claim }, t("tasks.claim"))
//
// `testid` becomes `data-testid`; `on*` functions become listeners; `true` makes an empty
// attribute, `false`/null/undefined leave it out; `value`/`checked` are set as properties.

export type Child = Node | string | number | null | undefined | false;
export type Props = Record<string, unknown>;

const PROPERTIES = new Set(["value", "checked", "selected", "disabled", "hidden"]);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "testid") {
      el.setAttribute("data-testid", String(value));
    } else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value as EventListener);
    } else if (PROPERTIES.has(name)) {
      (el as unknown as Record<string, unknown>)[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything inside `el`. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A native <select> with a blank first option (`placeholder`) unless `placeholder` is null. */
export function select(
  props: Props,
  options: { value: string; label: string }[],
  chosen: string | null,
  placeholder: string | null,
): HTMLSelectElement {
  const el = h("select", props);
  if (placeholder !== null) el.appendChild(h("option", { value: "" }, placeholder));
  for (const o of options) {
    el.appendChild(h("option", { value: o.value, selected: o.value === chosen }, o.label));
  }
  if (chosen !== null) el.value = chosen;
  return el;
}

/** A labelled form row: label above the control, optional hint and error line below. */
export function field(
  label: string,
  control: HTMLElement,
  opts: { hint?: string | null; required?: boolean; errorTestid?: string; error?: string | null } = {},
): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  control.id = id;
  return h(
    "div",
    { class: "field" },
    h(
      "label",
      { for: id },
      label,
      opts.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null,
    ),
    control,
    opts.hint ? h("div", { class: "hint" }, opts.hint) : null,
    opts.errorTestid
      ? h(
          "div",
          { class: "field-error", testid: opts.errorTestid, hidden: !opts.error, role: "alert" },
          opts.error ?? "",
        )
      : null,
  );
}
