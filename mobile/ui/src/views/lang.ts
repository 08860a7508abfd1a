// The language switch (set_lang), on the enrolment, unlock and settings screens.

import { type Lang } from "../contract.js";
import { type Ctx } from "../ctx.js";
import { select } from "../dom.js";
import { LANGS, currentLang } from "../i18n.js";

export function langSelect(ctx: Ctx): HTMLSelectElement {
  const el = select(
    { testid: "lang-select", class: "lang-select", "aria-label": "Language / 语言" },
    LANGS.map((l) => ({ value: l.lang, label: l.name })),
    currentLang(),
    null,
  );
  el.addEventListener("change", () => {
    const lang = el.value as Lang;
    el.disabled = true;
    ctx.api.setLang(lang).then(
      (status) => ctx.statusChanged(status),
      (e) => {
        el.disabled = false;
        el.value = currentLang();
        ctx.error(e);
      },
    );
  });
  return el;
}
