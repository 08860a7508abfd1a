// Entry point of the field app's window: the Tauri implementation of the Api, and the shell.
// A web console would import App with another Api instead of this file.

import { TauriApi } from "./api.js";
import { App } from "./app.js";
import { startNativeScans } from "./native-scan.js";

interface TauriGlobal {
  core?: { invoke?: (cmd: string, args?: Record<string, unknown>) => Promise<unknown> };
}

const root = document.getElementById("app");
if (root) {
  // NFC readers and the camera reach whichever scan field is on screen (native-scan.ts).
  void startNativeScans();
  void new App(new TauriApi(), root).start().then(() => {
    // Tell the shell the first screen is usable (after it is painted): the start-up benchmark
    // measures launch → this moment.
    requestAnimationFrame(() => {
      const tauri = (window as unknown as { __TAURI__?: TauriGlobal }).__TAURI__;
      void tauri?.core?.invoke?.("ui_ready")?.catch(() => undefined);
    });
  });
}
