// Scanning, without the DOM: what a keyboard-wedge scanner typed, and how each roll-call verdict
// sounds and looks.
//
// A USB barcode scanner "types": its keystrokes land in the focused text field, fast, and end
// with Enter. The scan field therefore submits on Enter, whatever was typed, and clears itself
// for the next person. Scanners (and hands) repeat: the same code read again within a short
// window is one scan, so a double beep of the reader does not show "already boarded".

import { type ScanKind } from "../contract.js";

/** The same code within this many milliseconds is taken as one scan. */
export const REPEAT_WINDOW_MS = 800;

/** What a field's text means as a scan: control characters and surrounding whitespace removed;
 *  null when nothing is left. */
export function scanText(raw: string): string | null {
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return text === "" ? null : text;
}

/** Turns Enter keystrokes in the scan field into scans, dropping quick repeats of one code. */
export class ScanReader {
  private last: { text: string; atMs: number } | null = null;

  /** Called on every keydown: the scan to submit for an Enter, else null. */
  key(key: string, fieldValue: string, nowMs: number): string | null {
    if (key !== "Enter") return null;
    const text = scanText(fieldValue);
    if (text === null) return null;
    const repeat =
      this.last !== null && this.last.text === text && nowMs - this.last.atMs < REPEAT_WINDOW_MS;
    this.last = { text, atMs: nowMs };
    return repeat ? null : text;
  }
}

export type Tone = "ok" | "warn" | "error";

/** A beep: frequency (Hz) and length (ms); a pause is frequency 0. */
export interface Beep {
  hz: number;
  ms: number;
}

export interface Feedback {
  tone: Tone;
  /** CSS class of the verdict panel: one per kind, so each has its own colour. */
  cssClass: string;
  beeps: Beep[];
}

const OK: Beep[] = [{ hz: 1320, ms: 90 }];
const PAUSE = { hz: 0, ms: 70 };

const FEEDBACK: Record<ScanKind, Feedback> = {
  boarded: { tone: "ok", cssClass: "scan-boarded", beeps: OK },
  arrived: { tone: "ok", cssClass: "scan-arrived", beeps: [{ hz: 1175, ms: 90 }] },
  already_boarded: {
    tone: "warn",
    cssClass: "scan-already",
    beeps: [{ hz: 880, ms: 80 }, PAUSE, { hz: 880, ms: 80 }],
  },
  already_arrived: {
    tone: "warn",
    cssClass: "scan-already-arrived",
    beeps: [{ hz: 784, ms: 80 }, PAUSE, { hz: 784, ms: 80 }],
  },
  unknown_wristband: {
    tone: "error",
    cssClass: "scan-unknown",
    beeps: [{ hz: 220, ms: 400 }],
  },
  unbound_wristband: {
    tone: "error",
    cssClass: "scan-unbound",
    beeps: [{ hz: 330, ms: 150 }, PAUSE, { hz: 330, ms: 150 }],
  },
  other_transfer: {
    tone: "error",
    cssClass: "scan-other-transfer",
    beeps: [{ hz: 440, ms: 120 }, PAUSE, { hz: 330, ms: 120 }, PAUSE, { hz: 220, ms: 120 }],
  },
  not_on_manifest: {
    tone: "error",
    cssClass: "scan-not-listed",
    beeps: [{ hz: 262, ms: 250 }, PAUSE, { hz: 262, ms: 250 }],
  },
  not_boarded: {
    tone: "error",
    cssClass: "scan-not-boarded",
    beeps: [{ hz: 294, ms: 120 }, PAUSE, { hz: 392, ms: 120 }],
  },
  several_persons: {
    tone: "error",
    cssClass: "scan-several",
    beeps: [
      { hz: 523, ms: 90 },
      PAUSE,
      { hz: 523, ms: 90 },
      PAUSE,
      { hz: 523, ms: 90 },
    ],
  },
};

export function feedbackFor(kind: ScanKind): Feedback {
  return FEEDBACK[kind];
}

export const SCAN_KINDS = Object.keys(FEEDBACK) as ScanKind[];
