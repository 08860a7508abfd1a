// What the console's browser tests share: the fixture server (sync-server/examples/
// console_fixture.rs, one JSON line per command), Chromium, and the paths. The fixture binary is
// CONSOLE_FIXTURE, else target/debug/examples/console_fixture under CARGO_TARGET_DIR (or the
// repository's target/); the browser is CHROMIUM, else /usr/bin/chromium.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

export const ui = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repo = join(ui, "..", "..");
export const dist = join(ui, "dist");
const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, "target");
const fixtureBinary = process.env.CONSOLE_FIXTURE ?? join(target, "debug", "examples", "console_fixture");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const shots = join(repo, "artifacts", "screenshots");

/** The fixture server: one JSON line per command. */
export class FixtureServer {
  constructor() {
    assert.ok(existsSync(join(dist, "console.html")), "run `npm run build` first");
    assert.ok(
      existsSync(fixtureBinary),
      `build the fixture first: cargo build -p outpost-sync-server --example console_fixture (${fixtureBinary})`,
    );
    this.child = spawn(fixtureBinary, [dist], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "warn" } });
    this.lines = createInterface({ input: this.child.stdout });
    this.waiting = [];
    this.lines.on("line", (line) => this.waiting.shift()?.(JSON.parse(line)));
  }

  next() {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async send(command) {
    const answer = this.next();
    this.child.stdin.write(`${command}\n`);
    const value = await answer;
    assert.ok(!value.error, value.error);
    return value;
  }

  async stop() {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.end("quit\n");
    await exited;
  }
}

/** Headless Chromium with its profile in `work`, a laptop-sized window. */
export async function launch(work) {
  const context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return context;
}
