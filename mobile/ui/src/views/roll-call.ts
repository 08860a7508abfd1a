// 接人上车 and 隔离酒店签收: the escort (or hotel desk) picks a transfer and scans wristband after
// wristband. The scan field takes a keyboard-wedge scanner's keystrokes (ending in Enter) and
// typed codes alike; each verdict shows in its own colour with its own sound, with the count and
// the missing names (masked) below. 完成接人 / 签收完成 close the roll.

import { type ScanResult, type TransferDetail } from "../contract.js";
import { type Ctx, type View } from "../ctx.js";
import { fill, h } from "../dom.js";
import { t } from "../i18n.js";
import { type Beep, ScanReader, feedbackFor } from "../logic/scan.js";
import { attachNativeScans } from "../native-scan.js";
import { backButton } from "./person.js";

let audio: AudioContext | null = null;

/** Plays the verdict's beeps; silently nothing where the webview has no audio. */
function play(beeps: Beep[]): void {
  try {
    audio ??= new AudioContext();
    let at = audio.currentTime;
    for (const beep of beeps) {
      if (beep.hz > 0) {
        const osc = audio.createOscillator();
        osc.frequency.value = beep.hz;
        osc.connect(audio.destination);
        osc.start(at);
        osc.stop(at + beep.ms / 1000);
      }
      at += beep.ms / 1000;
    }
  } catch {
    // no audio device: the colour still tells
  }
}

export function renderRollCall(ctx: Ctx, transferId: string, hop: "boarding" | "hotel"): View {
  const reader = new ScanReader();
  const input = h("input", {
    type: "text",
    class: "scan-input",
    testid: "scan-input",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    placeholder: t("roll.scan_hint"),
  });
  const verdict = h("div", { class: "scan-verdict", testid: "scan-verdict", hidden: true, role: "status" });
  const counts = h("div", { class: "roll-counts", testid: "roll-counts" });
  const missing = h("ul", { class: "roll-missing", testid: "roll-missing" });
  const closeButton = h("button", { class: "primary", testid: "roll-close" });
  const title = h("h1", {}, hop === "boarding" ? t("roll.title") : t("roll.hotel_title"));
  const root = h(
    "section",
    { class: "roll-call", testid: "roll-call", "data-transfer-id": transferId, "data-hop": hop },
    backButton(ctx),
    title,
    h("div", { class: "card" }, input, attachNativeScans(input), verdict, counts),
    h("section", { class: "card" }, h("h2", {}, t("roll.missing")), missing),
    closeButton,
  );

  // Whether this user may scan at this hop now (the roll is open); closing also needs someone
  // on the bus (boarding), so the close button follows the count.
  let mayScan = false;

  function showCounts(done: number, expected: number, left: { masked_name: string }[]): void {
    closeButton.hidden = !(mayScan && (hop === "hotel" || done > 0));
    const key = hop === "boarding" ? "roll.count" : "roll.hotel_count";
    counts.setAttribute("data-done", String(done));
    counts.setAttribute("data-expected", String(expected));
    counts.textContent = t(key, { done, expected });
    fill(
      missing,
      ...(left.length === 0
        ? [h("li", { class: "muted", testid: "roll-none-missing" }, t("roll.none_missing"))]
        : left.map((p) => h("li", { testid: "roll-missing-name" }, p.masked_name))),
    );
  }

  function showDetail(detail: TransferDetail): void {
    mayScan = detail.allowed.includes(hop === "boarding" ? "board" : "hotel_arrival");
    title.textContent = `${hop === "boarding" ? t("roll.title") : t("roll.hotel_title")} · ${detail.status_label}`;
    if (hop === "boarding") {
      showCounts(detail.boarded, detail.expected, detail.missing);
    } else {
      const left = detail.manifest.filter((m) => m.boarded_at_ms !== null && m.arrived_at_ms === null);
      showCounts(detail.arrived, detail.boarded, left.map((m) => m.person));
    }
    closeButton.textContent = hop === "boarding" ? t("roll.complete") : t("roll.hotel_receive");
    input.disabled = !mayScan;
  }

  function showVerdict(result: ScanResult): void {
    const feedback = feedbackFor(result.kind);
    verdict.className = `scan-verdict ${feedback.cssClass} tone-${feedback.tone}`;
    verdict.setAttribute("data-kind", result.kind);
    verdict.textContent = result.message;
    verdict.hidden = false;
    play(feedback.beeps);
    showCounts(result.done, result.expected, result.missing);
  }

  async function submit(scan: string): Promise<void> {
    input.value = "";
    try {
      const call = hop === "boarding" ? ctx.api.boardingScan : ctx.api.hotelScan;
      showVerdict(await call.call(ctx.api, { transfer_id: transferId, scan }));
    } catch (e) {
      ctx.error(e);
    } finally {
      input.focus();
    }
  }

  input.addEventListener("keydown", (event) => {
    const scan = reader.key(event.key, input.value, Date.now());
    if (event.key === "Enter") {
      event.preventDefault();
      if (scan === null) input.value = "";
      else void submit(scan);
    }
  });

  closeButton.addEventListener("click", () => {
    const close = hop === "boarding" ? ctx.api.completePickup : ctx.api.hotelReceive;
    close.call(ctx.api, transferId).then(
      (detail) => {
        showDetail(detail);
        ctx.notice(hop === "boarding" ? t("roll.completed") : t("roll.hotel_received"));
      },
      (e) => ctx.error(e),
    );
  });

  function load(): void {
    ctx.api.transfer(transferId).then(showDetail, (e) => ctx.error(e));
  }
  load();
  window.setTimeout(() => input.focus(), 0);
  return { el: root, refresh: load };
}
