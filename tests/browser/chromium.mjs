// Debian's Chromium, headless, as these machines run it: no sandbox (root),
// no GPU, and none of the background traffic a closed network refuses.

import { chromium } from "playwright-core";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Start it, with `extra` flags. FADERD_CHROMIUM names another binary. */
export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.FADERD_CHROMIUM || "/usr/bin/chromium",
    args: [...FLAGS, ...extra],
  });
}
