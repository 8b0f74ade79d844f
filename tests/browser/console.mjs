// Drives Debian's Chromium (headless) against a running faderd's browser
// console and prints what a person would have seen, as one JSON line on
// stdout. The Rust tests (tests/system/web.rs) start faderd, run this, and
// check the result against the engine.
//
//   node console.mjs SCENARIO CONSOLE_URL OSC_PORT [WIDTHxHEIGHT] [SCREENSHOT.png]
//
// Scenarios:
//   load    the page: strip names in order, the fader positions, console errors
//   follow  `oscsend` moves a fader: how long until the page shows it (ms)
//   drag    drag strip 1's fader to the bottom with the mouse
//   hold    hold strip 1's fader; a tablet moves it; release
//   add     a tablet adds a track: when the page shows it, without a reload
//   eq      open strip 1's detail: the EQ curve as drawn, and its axes
//   dyn     open strip 1's detail: the compressor and gate curves as
//           drawn, and the gain reduction shown
//   sends   strip 1's detail: its first send as shown; drag it off; make it pre
//   loudness  the master's detail: the loudness figures shown
//   limiter  the master's detail: put the limiter in; its reduction shown
//   transport  play for a second, then return to zero: the timecode shown
//   mute    click strip 1's mute: what the button showed before and after
//   blip    the connection drops; a tablet moves a fader meanwhile; the
//           page reconnects by itself and shows it; the status line
//   shot    a screenshot

import { launch } from "./chromium.mjs";
import { spawn } from "node:child_process";

const [scenario, url, oscPort, size = "1280x800", shotPath] = process.argv.slice(2);
const [width, height] = size.split("x").map(Number);

function oscsend(address, type, value) {
  return new Promise((resolve, reject) => {
    const p = spawn("oscsend", ["127.0.0.1", oscPort, address, type, String(value)], {
      stdio: "ignore",
    });
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`oscsend exit ${code}`))));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await launch();
const errors = [];
const result = { scenario };
try {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  // Connected, and the dump has arrived: every strip has a name.
  await page.waitForFunction(() => window.faderd && window.faderd.connected, null, { timeout: 5000 });
  await page.waitForFunction(() => document.querySelectorAll(".strip").length > 0, null, { timeout: 5000 });
  await sleep(300);
  const pos = (i) =>
    page.evaluate((i) => Number(document.querySelectorAll(".strip .cap")[i].dataset.pos), i);

  if (scenario === "load") {
    result.strips = await page.$$eval(".strip", (els) =>
      els.map((e) => ({
        strip: e.dataset.strip,
        name: e.querySelector(".name").textContent,
        fader: Number(e.querySelector(".cap").dataset.pos),
        gain: e.querySelector(".db").textContent,
        meter: window.faderd.meter(e.dataset.strip),
        // The RMS bar's height, as a fader-law position.
        rms: Number(/scaleY\(([^)]*)\)/.exec(e.querySelector(".rms").style.transform)?.[1] ?? 0),
      })),
    );
  } else if (scenario === "follow") {
    result.latency_ms = [];
    for (let k = 0; k < 10; k++) {
      const target = [0.2, 0.5, 0.8, 0.35, 0.65][k % 5];
      const t0 = performance.now();
      await oscsend("/strip/1/fader", "f", target);
      await page.waitForFunction(
        (t) => Math.abs(Number(document.querySelector(".strip .cap").dataset.pos) - t) < 0.001,
        target,
        { polling: "raf", timeout: 2000 },
      );
      result.latency_ms.push(performance.now() - t0);
    }
  } else if (scenario === "drag") {
    const track = await page.locator(".strip .track").first().boundingBox();
    const x = track.x + track.width / 2;
    const capY = track.y + track.height * (1 - (await pos(0)));
    await page.mouse.move(x, capY);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) {
      await page.mouse.move(x, capY + (track.height * 1.2 * k) / 10);
      await sleep(20);
    }
    await page.mouse.up();
    await sleep(200);
    result.fader_after = await pos(0);
  } else if (scenario === "hold") {
    const track = await page.locator(".strip .track").first().boundingBox();
    const x = track.x + track.width / 2;
    const before = await pos(0);
    const y = track.y + track.height * (1 - before);
    await page.mouse.move(x, y);
    await page.mouse.down();
    await sleep(100);
    // A tablet moves the fader under the browser's finger.
    await oscsend("/strip/1/fader", "f", 0.2);
    await sleep(300);
    result.held_at = await pos(0);
    result.before = before;
    await page.mouse.up();
    await page.waitForFunction(
      () => Math.abs(Number(document.querySelector(".strip .cap").dataset.pos) - 0.2) < 0.001,
      null,
      { polling: "raf", timeout: 2000 },
    );
    result.released_at = await pos(0);
  } else if (scenario === "add") {
    await page.evaluate(() => (window.sameDocument = true));
    const before = await page.$$eval(".strip", (els) => els.length);
    const t0 = performance.now();
    await oscsend("/session/add_track", "s", "Guitar");
    await page.waitForFunction(
      () => [...document.querySelectorAll(".strip .name")].some((n) => n.textContent === "Guitar"),
      null,
      { polling: "raf", timeout: 3000 },
    );
    result.shown_after_ms = performance.now() - t0;
    result.strips_before = before;
    result.strips = await page.$$eval(".strip", (els) =>
      els.map((e) => [e.dataset.strip, e.querySelector(".name").textContent]),
    );
    result.same_document = await page.evaluate(() => window.sameDocument === true);
  } else if (scenario === "eq") {
    await page.locator(".strip .name").first().click();
    await page.waitForSelector("#eq-curve[data-ready]", { timeout: 3000 });
    result.eq = await page.$eval("#eq", (svg) => ({
      points: svg.querySelector("#eq-curve").getAttribute("points"),
      fmin: Number(svg.dataset.fmin),
      fmax: Number(svg.dataset.fmax),
      dbmin: Number(svg.dataset.dbmin),
      dbmax: Number(svg.dataset.dbmax),
      width: Number(svg.dataset.width),
      height: Number(svg.dataset.height),
      handles: [...svg.querySelectorAll(".handle")].map((h) => [
        Number(h.dataset.band),
        Number(h.getAttribute("cx")),
        Number(h.getAttribute("cy")),
      ]),
    }));
    if (shotPath) await page.screenshot({ path: shotPath });
  } else if (scenario === "dyn") {
    await page.locator(".strip .name").first().click();
    await page.waitForSelector("#comp-curve[data-ready]", { timeout: 3000 });
    await page.waitForFunction(() => Number(document.getElementById("gr-text").dataset.db) > 0, null, {
      timeout: 3000,
    });
    await sleep(500);
    result.dyn = await page.$eval("#dyn", (svg) => ({
      comp: svg.querySelector("#comp-curve").getAttribute("points"),
      gate: svg.querySelector("#gate-curve").getAttribute("points"),
      min: Number(svg.dataset.min),
      size: Number(svg.dataset.size),
    }));
    result.reduction_db = await page.$eval("#gr-text", (e) => Number(e.dataset.db));
    if (shotPath) await page.screenshot({ path: shotPath });
  } else if (scenario === "sends") {
    await page.locator(".strip .name").first().click();
    await page.waitForSelector('#sends .send[data-send="1"] .send-track[data-pos]', { timeout: 3000 });
    const row = page.locator('#sends .send[data-send="1"]');
    result.bus = await row.locator(".send-bus").textContent();
    result.db = await row.locator(".send-db").textContent();
    result.pos = Number(await row.locator(".send-track").getAttribute("data-pos"));
    const box = await row.locator(".send-track").boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * result.pos, y);
    await page.mouse.down();
    for (let k = 1; k <= 8; k++) {
      await page.mouse.move(box.x + box.width * result.pos - (box.width * k) / 6, y);
      await sleep(20);
    }
    await page.mouse.up();
    await row.locator(".send-pre").click();
    await sleep(400);
    result.pre = await row.locator(".send-pre").getAttribute("aria-pressed");
  } else if (scenario === "loudness") {
    await page.locator('.strip[data-strip="master"] .name').click();
    await page.waitForFunction(
      () => Number.isFinite(Number(document.getElementById("loud-integrated")?.dataset.value)),
      null,
      { timeout: 5000 },
    );
    await sleep(1500);
    result.loudness = await page.$$eval("#loudness .figure output", (els) =>
      Object.fromEntries(els.map((e) => [e.id.replace("loud-", ""), e.dataset.value ?? null])),
    );
    result.history_points = await page.$eval("#loud-line", (e) => e.getAttribute("points").split(" ").length);
    if (shotPath) await page.screenshot({ path: shotPath });
  } else if (scenario === "limiter") {
    await page.locator('.strip[data-strip="master"] .name').click();
    await page.waitForSelector("#lim-ceiling[data-db]", { timeout: 3000 });
    result.before = await page.$eval("#lim-on", (e) => e.getAttribute("aria-pressed"));
    result.ceiling = await page.$eval("#lim-ceiling-db", (e) => e.textContent);
    await page.click("#lim-on");
    await page.waitForFunction(() => Number(document.getElementById("lim-text").dataset.db) > 1, null, {
      timeout: 3000,
    });
    await sleep(600);
    result.after = await page.$eval("#lim-on", (e) => e.getAttribute("aria-pressed"));
    result.reduction_db = await page.$eval("#lim-text", (e) => Number(e.dataset.db));
    if (shotPath) await page.screenshot({ path: shotPath });
  } else if (scenario === "transport") {
    await page.click("#play");
    await page.waitForFunction(() => document.getElementById("clock").textContent !== "0:00.0", null, {
      timeout: 3000,
    });
    await sleep(1000);
    result.rolling = await page.$eval("#clock", (e) => e.textContent);
    result.play_lit = await page.$eval("#play", (e) => e.classList.contains("on"));
    await page.click("#stop");
    await page.click("#rtz");
    await page.waitForFunction(() => document.getElementById("clock").textContent === "0:00.0", null, {
      timeout: 3000,
    });
    result.after_rtz = await page.$eval("#clock", (e) => e.textContent);
    result.play_lit_after_stop = await page.$eval("#play", (e) => e.classList.contains("on"));
  } else if (scenario === "mute") {
    const mute = page.locator(".strip .mute").first();
    result.before = await mute.getAttribute("aria-pressed");
    await mute.click();
    await sleep(400);
    result.after = await mute.getAttribute("aria-pressed");
  } else if (scenario === "blip") {
    await page.waitForFunction(() => document.getElementById("status").textContent.includes("xruns"), null, {
      timeout: 5000,
    });
    result.status = await page.$eval("#status", (e) => e.textContent);
    await page.evaluate(() => window.faderd.drop());
    await page.waitForFunction(() => !window.faderd.connected, null, { timeout: 2000 });
    result.link_while_down = await page.$eval("#link", (e) => e.textContent);
    await oscsend("/strip/2/fader", "f", 0.3);
    const t0 = performance.now();
    await page.waitForFunction(
      () =>
        window.faderd.connected &&
        Math.abs(Number(document.querySelectorAll(".strip .cap")[1].dataset.pos) - 0.3) < 0.001,
      null,
      { polling: "raf", timeout: 5000 },
    );
    result.restored_after_ms = performance.now() - t0;
    result.link_after = await page.$eval("#link", (e) => e.textContent);
  } else if (scenario === "shot") {
    await sleep(500);
    await page.screenshot({ path: shotPath, fullPage: false });
    result.screenshot = shotPath;
  } else {
    throw new Error(`no scenario ${scenario}`);
  }
} finally {
  result.errors = errors;
  await browser.close();
}
console.log(JSON.stringify(result));
