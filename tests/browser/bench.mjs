// The console under load, for benches/console.rs: N browsers on one
// daemon. Prints "START" when every page shows the mix, then one JSON
// line of figures and "END".
//
//   node bench.mjs CONSOLE_URL PAGES SECONDS
//
// - latency: a fader change sent by page 0 over its socket, until each
//   other page's DOM shows it (ms; every page, every change, 400 samples
//   at least);
// - bytes per second each page receives (meters included);
// - frame times of page 1 while all the strips meter, and the time its
//   renderer's main thread was busy (Chromium's own TaskDuration, ms a
//   second; script, style and layout as parts of it).

import { launch } from "./chromium.mjs";

const [url, pagesArg = "20", secsArg = "5"] = process.argv.slice(2);
const N = Number(pagesArg);
const SECS = Number(secsArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Headless pages in the background must still draw every frame.
const browser = await launch([
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
]);
const pages = [];
for (let i = 0; i < N; i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(() => {
    window.__bytes = 0;
    const Real = window.WebSocket;
    window.WebSocket = class extends Real {
      constructor(...a) {
        super(...a);
        this.addEventListener("message", (e) => {
          window.__bytes += e.data.byteLength || 0;
        });
      }
    };
  });
  await page.goto(url);
  pages.push(page);
}
const strips = async (p) => p.evaluate(() => document.querySelectorAll(".strip").length);
for (const p of pages) {
  await p.waitForFunction(() => window.faderd && window.faderd.connected, null, { timeout: 20000 });
}
// Every page has the whole mix: page 0's count, once it stops growing
// (the state dump comes over several ticks).
let want = await strips(pages[0]);
for (;;) {
  await sleep(500);
  const now = await strips(pages[0]);
  if (now === want) break;
  want = now;
}
for (const p of pages) {
  await p.waitForFunction((n) => document.querySelectorAll(".strip").length >= n, want, { timeout: 20000 });
}
await sleep(1000);
console.log("START");

// Bytes and frames over SECS.
const busyPage = pages[Math.min(1, N - 1)];
const cdp = await busyPage.context().newCDPSession(busyPage);
await cdp.send("Performance.enable");
const metrics = async () =>
  Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
const busy0 = await metrics();
const bytes0 = await Promise.all(pages.map((p) => p.evaluate(() => window.__bytes)));
const framesP = pages[Math.min(1, N - 1)].evaluate(
  (ms) =>
    new Promise((resolve) => {
      const dts = [];
      let last = performance.now();
      const end = last + ms;
      const step = (t) => {
        dts.push(t - last);
        last = t;
        if (t < end) requestAnimationFrame(step);
        else resolve(dts);
      };
      requestAnimationFrame(step);
    }),
  SECS * 1000,
);
const frames = await framesP;
const busy1 = await metrics();
const busyMs = (k) => Math.round(((busy1[k] - busy0[k]) / SECS) * 10000) / 10;
const bytes1 = await Promise.all(pages.map((p) => p.evaluate(() => window.__bytes)));
const perClient = bytes1.map((b, i) => (b - bytes0[i]) / SECS);

// Latency: page 0 moves faders; the others' DOM follows. At least 400
// samples in all, so p99 is not simply the slowest of a few.
const latencies = [];
const changes = Math.max(40, Math.ceil(400 / Math.max(1, N - 1)));
for (let k = 0; k < changes; k++) {
  const strip = 1 + (k % 16);
  const target = Math.round((0.2 + 0.6 * ((k * 37) % 100) / 100) * 1000) / 1000;
  const watchers = pages.slice(1).map((p) =>
    p.evaluate(
      ([base, t]) => {
        const cap = document.querySelector(`.strip[data-strip="${base}"] .cap`);
        window.__seen = new Promise((resolve) => {
          const check = () => Math.abs(Number(cap.dataset.pos) - t) < 0.0006;
          if (check()) return resolve(performance.timeOrigin + performance.now());
          const obs = new MutationObserver(() => {
            if (check()) {
              obs.disconnect();
              resolve(performance.timeOrigin + performance.now());
            }
          });
          obs.observe(cap, { attributes: true, attributeFilter: ["data-pos"] });
        });
      },
      [`strip/${strip}`, target],
    ),
  );
  await Promise.all(watchers);
  const t0 = await pages[0].evaluate(
    ([addr, t]) => {
      const now = performance.timeOrigin + performance.now();
      window.faderd.send(addr, t);
      return now;
    },
    [`/strip/${strip}/fader`, target],
  );
  const seen = await Promise.all(pages.slice(1).map((p) => p.evaluate(() => window.__seen)));
  for (const t of seen) latencies.push(t - t0);
  await sleep(50);
}
await browser.close();

const pct = (v, q) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const frameMs = frames.slice(1);
console.log(
  JSON.stringify({
    pages: N,
    strips: want,
    latency_ms: { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: Math.max(...latencies), n: latencies.length },
    bytes_per_s: { mean: perClient.reduce((a, b) => a + b, 0) / N, min: Math.min(...perClient), max: Math.max(...perClient) },
    frames: {
      fps: frameMs.length / (frameMs.reduce((a, b) => a + b, 0) / 1000),
      p50_ms: pct(frameMs, 0.5),
      p99_ms: pct(frameMs, 0.99),
      main_thread_ms_per_s: busyMs("TaskDuration"),
      script_ms_per_s: busyMs("ScriptDuration"),
      style_ms_per_s: busyMs("RecalcStyleDuration"),
      layout_ms_per_s: busyMs("LayoutDuration"),
    },
  }),
);
console.log("END");
