// Copies the static files the window and the web console load (index.html, styles.css,
// console.html, console.css) beside the compiled modules in dist/. Plain node, no packages.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
mkdirSync(dist, { recursive: true });
for (const file of ["index.html", "styles.css", "console.html", "console.css"]) {
  copyFileSync(join(root, file), join(dist, file));
  console.log(`copied ${file} -> dist/${file}`);
}
