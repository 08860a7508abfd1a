// The computer's own wristband readers in the scan fields: NFC readers (PC/SC) and the camera.
//
// The Rust side pushes every read as a `scan` window event (mobile/src-tauri/src/scanning.rs):
// a QR payload, or a chip as `NFC:<hex>`. A screen with a scan field calls `attachNativeScans`
// on it; a read then lands in the field followed by an Enter, exactly as a USB keyboard-wedge
// scanner types it, so every source takes one path — the field's own Enter handling (repeat
// suppression, submit, verdict). Only the scan field attached last and still on screen receives
// reads. Camera frames are captured here (getUserMedia), turned grey (`logic/luma.ts`) and sent
// as raw bytes to `scan_frame`; the codes found come back as `scan` events like any other read.
//
// Outside the Tauri window (a browser) there are no native readers: nothing is attached and
// the camera button says the camera is unavailable.

import { h } from "./dom.js";
import { currentLang, t } from "./i18n.js";
import { captureSize, rgbaToLuma } from "./logic/luma.js";

export type NativeScanEvent =
  | { kind: "scanned"; source: string; text: string }
  | { kind: "reader_attached" | "reader_detached" | "card_removed"; reader: string }
  | { kind: "failed"; zh: string; en: string };

/** A field that takes scans: a scan input, or the enrolment code's text area. */
type ScanField = HTMLInputElement | HTMLTextAreaElement;

interface ScanStatus {
  nfc_available: boolean;
  readers: string[];
  nfc_message: string | null;
  camera_decoder: string;
}

type Invoke = (cmd: string, args?: unknown, options?: { headers: Record<string, string> }) => Promise<unknown>;
type Listen = (event: string, handler: (event: { payload: unknown }) => void) => Promise<unknown>;

interface TauriGlobal {
  core?: { invoke?: Invoke };
  event?: { listen?: Listen };
}

function tauri(): TauriGlobal | null {
  return (window as unknown as { __TAURI__?: TauriGlobal }).__TAURI__ ?? null;
}

/** Scan fields that take native reads, newest last. */
const fields: ScanField[] = [];
const statusLines = new Set<HTMLElement>();
let lastFailure: string | null = null;
let listening = false;

/** Subscribes once to the window's `scan` events (the app calls it at start). */
export async function startNativeScans(): Promise<void> {
  const listen = tauri()?.event?.listen;
  if (!listen || listening) return;
  listening = true;
  await listen("scan", (event) => receive(event.payload as NativeScanEvent));
}

function receive(event: NativeScanEvent): void {
  switch (event.kind) {
    case "scanned": {
      const field = activeField();
      if (field) typeIntoField(field, event.text);
      return;
    }
    case "reader_attached":
      lastFailure = null;
      break;
    case "reader_detached":
      break;
    case "card_removed":
      return;
    case "failed":
      lastFailure = currentLang() === "zh-CN" ? event.zh : event.en;
      break;
  }
  for (const line of [...statusLines]) {
    if (line.isConnected) void renderStatus(line);
    else statusLines.delete(line);
  }
}

function activeField(): ScanField | null {
  for (let i = fields.length - 1; i >= 0; i -= 1) {
    const field = fields[i]!;
    if (field.isConnected && !field.disabled) return field;
    if (!field.isConnected) fields.splice(i, 1);
  }
  return null;
}

/** What a keyboard-wedge scanner does: the text, then Enter. */
export function typeIntoField(field: ScanField, text: string): void {
  field.value = text;
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
}

/**
 * Makes `field` receive NFC and camera reads while it is on screen, and returns the controls
 * to place beside it: the camera button and a line saying which readers are connected.
 */
export function attachNativeScans(field: ScanField): HTMLElement {
  fields.push(field);
  const status = h("div", { class: "scan-sources", testid: "scan-sources" });
  statusLines.add(status);
  void renderStatus(status);
  return h("div", { class: "native-scan" }, cameraButton(), status);
}

async function renderStatus(line: HTMLElement): Promise<void> {
  const invoke = tauri()?.core?.invoke;
  if (!invoke) {
    line.textContent = t("scan.sources_browser");
    return;
  }
  let status: ScanStatus;
  try {
    status = (await invoke("scan_status")) as ScanStatus;
  } catch {
    line.textContent = t("scan.sources_unknown");
    return;
  }
  // Why the readers are not watched (e.g. no PC/SC service) is for support, not for the
  // worker: it goes in the tooltip, the line says what to use instead.
  line.title = status.nfc_available ? "" : status.nfc_message ?? "";
  const nfc = !status.nfc_available
    ? t("scan.nfc_unavailable")
    : status.readers.length > 0
      ? t("scan.nfc_readers", { r: status.readers.join("、") })
      : t("scan.nfc_no_reader");
  line.textContent = lastFailure ? `${nfc} · ${lastFailure}` : nfc;
}

/** How often a camera frame is decoded while the camera is open. */
const FRAME_EVERY_MS = 150;

function cameraButton(): HTMLElement {
  const video = h("video", { class: "camera-preview", testid: "camera-preview", hidden: true });
  video.muted = true;
  video.playsInline = true;
  const button = h("button", { type: "button", class: "camera-button", testid: "camera-button" }, t("scan.camera_open"));
  let stream: MediaStream | null = null;
  let timer: number | null = null;

  function stop(): void {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    button.textContent = t("scan.camera_open");
  }

  async function open(): Promise<void> {
    const invoke = tauri()?.core?.invoke;
    if (!invoke || !navigator.mediaDevices?.getUserMedia) {
      button.textContent = t("scan.camera_unavailable");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      });
    } catch {
      button.textContent = t("scan.camera_unavailable");
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => undefined);
    button.textContent = t("scan.camera_close");
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let busy = false;
    timer = window.setInterval(() => {
      if (!button.isConnected) return stop();
      if (busy || !context || video.videoWidth === 0) return;
      const size = captureSize(video.videoWidth, video.videoHeight);
      canvas.width = size.width;
      canvas.height = size.height;
      context.drawImage(video, 0, 0, size.width, size.height);
      const pixels = context.getImageData(0, 0, size.width, size.height).data;
      busy = true;
      sendFrame(rgbaToLuma(pixels, size.width, size.height), size.width, size.height).finally(() => {
        busy = false;
      });
    }, FRAME_EVERY_MS);
  }

  button.addEventListener("click", () => {
    if (stream) stop();
    else void open();
  });
  return h("div", { class: "camera" }, button, video);
}

/** Hands one grey frame to the decoder; what it finds arrives as `scan` events. */
export async function sendFrame(luma: Uint8Array, width: number, height: number): Promise<number> {
  const invoke = tauri()?.core?.invoke;
  if (!invoke) return 0;
  try {
    return (await invoke("scan_frame", luma, {
      headers: { "x-frame-width": String(width), "x-frame-height": String(height) },
    })) as number;
  } catch {
    // A frame the decoder refused (a camera that changed size mid-frame): the next one follows.
    return 0;
  }
}
