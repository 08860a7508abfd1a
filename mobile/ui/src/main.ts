// Entry point of the field app's window: the Tauri implementation of the Api, and the shell.
// A web console would import App with another Api instead of this file.

import { TauriApi } from "./api.js";
import { App } from "./app.js";

const root = document.getElementById("app");
if (root) {
  void new App(new TauriApi(), root).start();
}
