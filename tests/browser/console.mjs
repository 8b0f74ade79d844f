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
//   loudness  the master's detail: the loudness figures shown and the
//           points of its history (and how long the page had been open);
//           closed for 1.5 s and opened again, the history's points at once
//   limiter  the master's detail: put the limiter in; its reduction shown
//   automation  the timeline of strip 1: write mode, play, ride the fader
//           down, stop; the lane as drawn; then click the ruler at 5 s and
//           drag it from 2 s to 4 s
//   undo    the timeline of strip 1: its gain lane's points; Undo; after;
//           then its gain lane put in read mode of its own
//   long    the timeline of strip 1 (a lane hours long): its gain lane's
//           points and the view; a tablet locates to an hour in; the
//           points of the view the page turns to
//   edit    the timeline of strip 1 (a gain lane at 0 s and 20 s): a point
//           added at 10 s by double-click, dragged to 12 s and halfway up,
//           the one at 20 s deleted by double-click, the one at 12 s picked
//           and moved 1 s right and 0.05 up with the arrow keys; the points
//           after each
//   draw    the timeline of strip 1 (a gain lane at 0 s and 20 s): the pen
//           on, a stroke from 2 s low to 8 s high; the points after; then
//           the pen off, the stretch from 3 s to 7 s picked and deleted
//   addlane the timeline of strip 1: the add-a-lane menu; pan added, then
//           comp/on added and drawn low to high with the pen; the lanes and
//           the comp/on line as drawn
//   remove  strip 2's detail: Remove (the question answered yes); the
//           strips shown after
//   hpf     strip 2's detail: put the high-pass in; drag its handle to
//           about 500 Hz; what it shows
//   colour  strip 1's detail: click red; a tablet makes strip 2 blue; the
//           colours shown
//   targets every control a finger can use, in the mixer, strip 1's and the
//           master's detail and the timeline: those under 44 px either way;
//           the height of a timeline lane
//   transport  play for a second, then return to zero: the timecode shown
//   mute    click strip 1's mute: what the button showed before and after
//   slow    meter blobs received and meter frames drawn a second, before,
//           while and after every frame of the page takes 40 ms; while
//           slow, a 30 ms burst at +10 dB on strip 1 (its clip light) and
//           a tablet's fader move (how long until it is drawn)
//   blip    the connection drops; a tablet moves a fader meanwhile; the
//           page reconnects by itself and shows it; the status line
//   shot    a screenshot

import { launch } from "./chromium.mjs";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";

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

/** An OSC message of one float, as liblo encodes it (for moves timed
 * closer than starting oscsend allows). */
function oscFloat(address, value) {
  const pad = (b) => Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]);
  const v = Buffer.alloc(4);
  v.writeFloatBE(value);
  return Buffer.concat([pad(Buffer.from(address)), pad(Buffer.from(",f")), v]);
}

/** The timeline's plot height of position `v` on lane `k` (the ruler is
 * 32 high, each lane 72 with 6 above and below its travel). */
const laneY = (k, v) => 32 + k * 72 + 6 + (1 - v) * (72 - 12);

/** Press the mouse at (ax, ay), move it to (bx, by) in `steps` even
 * steps and, unless `release` is false, let go. */
async function dragMouse(page, [ax, ay], [bx, by], steps, release = true) {
  await page.mouse.move(ax, ay);
  await page.mouse.down();
  for (let k = 1; k <= steps; k++) await page.mouse.move(ax + ((bx - ax) * k) / steps, ay + ((by - ay) * k) / steps);
  if (release) await page.mouse.up();
}

/** Where on the screen `page`'s timeline shows time `t` (s) at plot
 * height `y`. */
async function timelineAt(page, t, y) {
  const d = await page.$eval("#tl-plot", (p) => ({
    data: { ...p.dataset },
    box: p.getBoundingClientRect().toJSON(),
    h: p.viewBox.baseVal.height,
  }));
  const [from, span, label, w] = ["from", "span", "label", "width"].map((k) => Number(d.data[k]));
  const x = label + ((t - from) / span) * (w - label);
  return [d.box.x + (x / w) * d.box.width, d.box.y + (y / d.h) * d.box.height];
}

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
        rms: window.faderd.rms(e.dataset.strip),
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
      handles: [...svg.querySelectorAll(".handle:not(.hpf)")].map((h) => [
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
    // The detail scrolls: a person scrolls to the sends first.
    await row.scrollIntoViewIfNeeded();
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
    const historyPoints = () =>
      page.$eval("#loud-line", (e) => e.getAttribute("points").split(" ").filter(Boolean).length);
    result.history_points = await historyPoints();
    result.page_open_s_first = await page.evaluate(() => performance.now() / 1000);
    // Closed for a while and opened again: the history is all there at
    // once, the time it was closed included.
    await page.click("#detail .close");
    await sleep(1500);
    await page.locator('.strip[data-strip="master"] .name').click();
    await page.waitForSelector("#loud-line", { state: "attached" });
    result.history_points_reopened = await historyPoints();
    result.page_open_s = await page.evaluate(() => performance.now() / 1000);
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
  } else if (scenario === "automation" || scenario === "undo") {
    await page.click("#lanes");
    await page.waitForSelector('#tl-plot g.lane[data-lane="gain"]', { timeout: 3000 });
    const lane = (attr) =>
      page.$eval('#tl-plot g.lane[data-lane="gain"]', (g, attr) => g.getAttribute(attr), attr);
    if (scenario === "undo") {
      result.points_before = Number(await lane("data-points"));
      await page.click("#tl-undo");
      await page.waitForFunction(
        () => document.querySelector('#tl-plot g.lane[data-lane="gain"]')?.dataset.points === "0",
        null,
        { timeout: 3000 },
      );
      result.points_after = Number(await lane("data-points"));
      // The gain lane gets a mode of its own.
      await page.selectOption('#tl-wrap .lane-pick[data-lane="gain"]', "read");
      await page.waitForFunction(
        () => document.querySelector('#tl-plot g.lane[data-lane="gain"]')?.dataset.mode === "read",
        null,
        { timeout: 3000 },
      );
      result.lane_mode = await lane("data-mode");
      result.strip_mode = await page.$eval("#tl-mode", (e) => e.value);
      if (shotPath) await page.screenshot({ path: shotPath });
    } else {
      await page.selectOption("#tl-mode", "write");
      await sleep(200);
      await page.click("#play");
      await sleep(400);
      // Ride strip 1's fader down while the pass writes.
      const cap = page.locator(".strip .cap").first();
      const box = await cap.boundingBox();
      const x = box.x + box.width / 2;
      const y0 = box.y + box.height / 2;
      await page.mouse.move(x, y0);
      await page.mouse.down();
      result.writing_seen = 0;
      const heads = [];
      for (let k = 1; k <= 12; k++) {
        await page.mouse.move(x, y0 + k * 8);
        await sleep(100);
        result.writing_seen = Math.max(result.writing_seen, Number(await lane("data-writing")));
        heads.push(await page.$eval("#tl-head", (e) => Number(e.dataset.seconds)));
      }
      await page.mouse.up();
      result.heads = heads;
      await page.click("#stop");
      await page.waitForFunction(
        () => Number(document.querySelector('#tl-plot g.lane[data-lane="gain"]')?.dataset.points) > 1,
        null,
        { timeout: 3000 },
      );
      await sleep(300);
      result.mode_shown = await lane("data-mode");
      result.writing_after = Number(await lane("data-writing"));
      result.points = JSON.parse(await page.$eval('#tl-plot g.lane[data-lane="gain"] .lane-line', (e) => e.dataset.raw));
      if (shotPath) await page.screenshot({ path: shotPath });
      // The ruler: a click at 5 s locates; a drag from 2 s to 4 s loops.
      const rulerAt = (t) => timelineAt(page, t, 8);
      const [lx, ly] = await rulerAt(5);
      await page.mouse.click(lx, ly);
      await sleep(300);
      const [ax, ay] = await rulerAt(2);
      const [bx] = await rulerAt(4);
      await dragMouse(page, [ax, ay], [bx, ay], 2);
      await page.waitForSelector("#tl-loop.on", { timeout: 3000 });
      result.loop_span = await page.$eval("#tl-loop-span", (r) => Number(r.getAttribute("width")));
    }
  } else if (scenario === "long") {
    await page.click("#lanes");
    const line = '#tl-plot g.lane[data-lane="gain"] .lane-line';
    await page.waitForSelector(line, { timeout: 3000 });
    const shown = () =>
      page.evaluate((line) => {
        const plot = document.getElementById("tl-plot");
        return {
          from: Number(plot.dataset.from),
          span: Number(plot.dataset.span),
          points: JSON.parse(document.querySelector(line).dataset.raw),
        };
      }, line);
    result.start = await shown();
    await oscsend("/transport/locate", "f", 3600);
    // The view pages to the playhead, and the page asks for its points.
    await page.waitForFunction(
      (line) => {
        const from = Number(document.getElementById("tl-plot").dataset.from);
        const pts = JSON.parse(document.querySelector(line)?.dataset.raw || "[]");
        return from > 3500 && pts.length > 2 && pts[1][0] > from;
      },
      line,
      { timeout: 5000 },
    );
    result.later = await shown();
  } else if (scenario === "edit" || scenario === "draw") {
    await page.click("#lanes");
    const lane = '#tl-plot g.lane[data-lane="gain"]';
    await page.waitForSelector(`${lane}.editable`, { timeout: 3000 });
    // Where (t seconds, position v) of the first lane is on the screen.
    const at = (t, v) => timelineAt(page, t, laneY(0, v));
    const points = async () => JSON.parse(await page.$eval(`${lane} .lane-line`, (e) => e.dataset.raw));
    const waitPoints = async (n) => {
      await page.waitForFunction(
        ([sel, n]) => JSON.parse(document.querySelector(`${sel} .lane-line`)?.dataset.raw || "[]").length === n,
        [lane, n],
        { timeout: 3000 },
      );
      return points();
    };
    result.before = await points();
    if (scenario === "draw") {
      await page.click("#tl-draw");
      result.pen = await page.$eval("#tl-draw", (b) => b.getAttribute("aria-pressed"));
      await dragMouse(page, await at(2, 0.2), await at(8, 0.8), 30, false);
      result.stroke_shown = await page.$$eval("#tl-plot .lane-stroke", (els) => els.length);
      await page.mouse.up();
      await page.waitForFunction(
        (sel) => JSON.parse(document.querySelector(`${sel} .lane-line`)?.dataset.raw || "[]").length > 2,
        lane,
        { timeout: 3000 },
      );
      result.drawn = await points();
      // The pen off, a stretch picked from 3 s to 7 s above the line, and
      // deleted with the Delete button.
      await page.click("#tl-draw");
      await dragMouse(page, await at(3, 0.7), await at(7, 0.7), 5);
      result.range_shown = await page.$$eval("#tl-plot .lane-range", (els) => els.length);
      await page.click("#tl-delete");
      await page.waitForFunction(
        (sel) => !JSON.parse(document.querySelector(`${sel} .lane-line`)?.dataset.raw || "[]").some(([t]) => t > 3 && t < 7),
        lane,
        { timeout: 3000 },
      );
      result.range_deleted = await points();
    } else {
      const [ax, ay] = await at(10, 0.3);
      await page.mouse.dblclick(ax, ay);
      result.added = await waitPoints(3);
      // Drag it to 12 s, halfway up.
      await dragMouse(page, [ax, ay], await at(12, 0.5), 5);
      await page.waitForFunction(
        (sel) => JSON.parse(document.querySelector(`${sel} .lane-line`)?.dataset.raw || "[]").some(([t]) => t > 11),
        lane,
        { timeout: 3000 },
      );
      await sleep(200);
      result.dragged = await points();
      // Delete the point at 20 s.
      const last = result.dragged[result.dragged.length - 1];
      const [cx, cy] = await at(last[0], last[1]);
      await page.mouse.dblclick(cx, cy);
      result.deleted = await waitPoints(2);
      // Pick the one at 12 s; ten steps right and five up with the keys.
      const kept = result.deleted[1];
      const [dx, dy] = await at(kept[0], kept[1]);
      await page.mouse.click(dx, dy);
      for (let k = 0; k < 10; k++) await page.keyboard.press("ArrowRight");
      for (let k = 0; k < 5; k++) await page.keyboard.press("ArrowUp");
      await page.waitForFunction(
        ([sel, t]) => JSON.parse(document.querySelector(`${sel} .lane-line`)?.dataset.raw || "[]").some(([u]) => u > t + 0.9),
        [lane, kept[0]],
        { timeout: 3000 },
      );
      // The run of keys is sent once they settle (0.4 s), then asked for.
      await sleep(1000);
      result.nudged = await points();
      // Dragged to the top of the lane (under the ruler's reach), then
      // from there back down: the point is the press's, not the ruler's.
      const drag = async ([t, v0], v1) => {
        await dragMouse(page, await at(t, v0), await at(t, v1), 5);
        await page.waitForFunction(
          ([sel, v]) => JSON.parse(document.querySelector(`${sel} .lane-line`)?.dataset.raw || "[]").some(([, u]) => Math.abs(u - v) < 0.02),
          [lane, v1],
          { timeout: 3000 },
        );
        await sleep(200);
        return (await points())[1];
      };
      result.at_top = await drag(result.nudged[1], 0.95);
      result.from_top = await drag(result.at_top, 0.6);
    }
    if (shotPath) await page.screenshot({ path: shotPath });
  } else if (scenario === "addlane") {
    await page.click("#lanes");
    await page.waitForFunction(() => document.querySelectorAll("#tl-add option").length > 1, null, { timeout: 3000 });
    result.menu = await page.$$eval("#tl-add option", (os) => os.map((o) => o.value).filter(Boolean));
    const raw = (name) =>
      page.$eval(`#tl-plot g.lane[data-lane="${name}"] .lane-line`, (e) => JSON.parse(e.dataset.raw));
    await page.selectOption("#tl-add", "pan");
    await page.waitForSelector('#tl-plot g.lane[data-lane="pan"]', { timeout: 3000 });
    result.pan = await raw("pan");
    await page.selectOption("#tl-add", "comp/on");
    await page.waitForSelector('#tl-plot g.lane[data-lane="comp/on"]', { timeout: 3000 });
    result.menu_after = await page.$$eval("#tl-add option", (os) => os.map((o) => o.value).filter(Boolean));
    result.lanes = await page.$$eval("#tl-plot g.lane", (gs) => gs.map((g) => g.dataset.lane));
    // Draw comp/on (the third lane) from off at 2 s to on at 8 s.
    const k = result.lanes.indexOf("comp/on");
    const at = (t, v) => timelineAt(page, t, laneY(k, v));
    await page.click("#tl-draw");
    await dragMouse(page, await at(2, 0.1), await at(8, 0.9), 20);
    await page.waitForFunction(
      () => JSON.parse(document.querySelector('#tl-plot g.lane[data-lane="comp/on"] .lane-line')?.dataset.raw || "[]").length > 2,
      null,
      { timeout: 3000 },
    );
    result.comp_on = await raw("comp/on");
    result.comp_on_line = await page.$eval('#tl-plot g.lane[data-lane="comp/on"] .lane-line', (e) =>
      e.getAttribute("points").split(" ").map((p) => p.split(",").map(Number)),
    );
    if (shotPath) await page.screenshot({ path: shotPath });
  } else if (scenario === "remove") {
    page.on("dialog", (d) => {
      result.asked = d.message();
      d.accept();
    });
    result.strips_before = await page.$$eval(".strip", (els) => els.length);
    await page.locator(".strip .name").nth(1).click();
    await page.click("#detail .remove");
    await page.waitForFunction((n) => document.querySelectorAll(".strip").length === n - 1, result.strips_before, {
      timeout: 3000,
    });
    await sleep(300);
    result.strips = await page.$$eval(".strip", (els) =>
      els.map((e) => [e.dataset.strip, e.querySelector(".name").textContent, e.querySelector(".db").textContent]),
    );
  } else if (scenario === "hpf") {
    await page.locator(".strip .name").nth(1).click();
    // A flat curve has no height: wait for it to be there, not "visible".
    await page.waitForSelector("#eq-curve[data-ready]", { state: "attached", timeout: 3000 });
    result.before = await page.$eval("#hpf-on", (e) => e.getAttribute("aria-pressed"));
    await page.click("#hpf-on");
    const box = await page.locator("#hpf-handle").boundingBox();
    const plot = await page.locator("#eq").boundingBox();
    const cy = box.y + box.height / 2;
    // 500 Hz on the plot's log axis, 20 Hz to 20 kHz.
    const to = plot.x + (Math.log10(500 / 20) / 3) * plot.width;
    await page.mouse.move(box.x + box.width / 2, cy);
    await page.mouse.down();
    for (let k = 1; k <= 6; k++) {
      await page.mouse.move(box.x + box.width / 2 + ((to - box.x - box.width / 2) * k) / 6, cy);
      await sleep(20);
    }
    await page.mouse.up();
    await sleep(400);
    result.after = await page.$eval("#hpf-on", (e) => e.getAttribute("aria-pressed"));
    result.hz = Number(await page.$eval("#hpf-freq", (e) => e.dataset.hz));
  } else if (scenario === "colour") {
    await page.locator(".strip .name").first().click();
    await page.click('#detail .swatch[data-colour="red"]');
    await oscsend("/strip/2/colour", "s", "blue");
    await page.waitForFunction(() => document.querySelectorAll(".strip")[1].dataset.colour === "blue", null, {
      timeout: 3000,
    });
    result.checked = await page.$eval('#detail .swatch[aria-checked="true"]', (e) => e.dataset.colour);
    result.band = await page.$$eval(".strip .name", (els) =>
      els.slice(0, 2).map((e) => getComputedStyle(e).borderBottomColor),
    );
  } else if (scenario === "targets") {
    const small = () =>
      page.$$eval('button, select, [role="slider"], circle.handle', (els) =>
        els
          .map((e) => {
            const r = e.getBoundingClientRect();
            const id = e.id || e.getAttribute("aria-label") || e.className?.baseVal || e.className;
            return { id, w: Math.round(r.width), h: Math.round(r.height) };
          })
          .filter((r) => r.w > 0 && r.h > 0 && (r.w < 44 || r.h < 44)),
      );
    result.checked = await page.$$eval('button, select, [role="slider"]', (els) => els.length);
    result.small = { mixer: await small() };
    await page.locator(".strip .name").first().click();
    await page.waitForSelector("#eq .handle", { timeout: 3000 });
    result.small.strip = await small();
    result.handles = await page.$$eval("#eq .handle", (els) => els.length);
    await page.click("#detail .close");
    await page.locator('.strip[data-strip="master"] .name').click();
    await page.waitForSelector("#lim-on", { timeout: 3000 });
    result.small.master = await small();
    await page.click("#detail .close");
    await page.click("#lanes");
    await page.waitForSelector('#tl-plot g.lane', { timeout: 3000 });
    result.small.timeline = await small();
    // A lane's height on screen (px): the travel a finger has to edit it.
    result.lane_px = await page.$eval("#tl-plot", (p) => {
      const lanes = Math.max(1, p.querySelectorAll("g.lane").length);
      const h = p.viewBox.baseVal.height;
      return ((h - 32) / lanes) * (p.getBoundingClientRect().height / h);
    });
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
    await page.waitForFunction(() => document.getElementById("status").textContent.includes("1 console"), null, {
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
  } else if (scenario === "slow") {
    // Meter blobs received and meter frames drawn a second, over `ms`.
    const meters = async (ms) => {
      const a = await page.evaluate(() => [window.faderd.meterBlobs, window.faderd.meterFrames]);
      await sleep(ms);
      const b = await page.evaluate(() => [window.faderd.meterBlobs, window.faderd.meterFrames]);
      return { blobs_per_s: ((b[0] - a[0]) * 1000) / ms, frames_per_s: ((b[1] - a[1]) * 1000) / ms };
    };
    result.fast = await meters(2000);
    // Every frame takes 40 ms, as on a phone too slow for what it draws.
    await page.evaluate((hog) => {
      window.__hog = true;
      const frame = () => {
        const t = performance.now();
        while (performance.now() - t < hog);
        if (window.__hog) requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    }, 40);
    await sleep(3000);
    result.slow = await meters(3000);
    const clipLit = () => page.$eval('.strip[data-strip="strip/1"] .clip', (c) => c.classList.contains("lit"));
    result.clip_before = await clipLit();
    const udp = createSocket("udp4");
    const sendUdp = (m) => new Promise((r) => udp.send(m, Number(oscPort), "127.0.0.1", r));
    await sendUdp(oscFloat("/strip/1/gain", 10));
    await sleep(30);
    await sendUdp(oscFloat("/strip/1/gain", 0));
    udp.close();
    await sleep(1000);
    result.clip_after = await clipLit();
    const t0 = performance.now();
    await oscsend("/strip/1/fader", "f", 0.25);
    await page.waitForFunction(
      () => Math.abs(Number(document.querySelector(".strip .cap").dataset.pos) - 0.25) < 0.001,
      null,
      { polling: "raf", timeout: 3000 },
    );
    result.follow_ms = performance.now() - t0;
    await page.evaluate(() => (window.__hog = false));
    await sleep(3000);
    result.again = await meters(2000);
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
