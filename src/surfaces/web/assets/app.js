// The console page: every strip's fader, pan, mute, solo, name, meter and
// automation mode, driven over the daemon's WebSocket with the native OSC
// address space. Strips appear as the daemon tells of them (a strip
// added to the session appears without a reload); a lost connection is
// retried and the daemon's state dump restores everything.

import { message, decode } from "./osc.js";
import { initDetail, openDetail, detailReceive, detailReduction, detailLimiter, detailFacts } from "./detail.js";
import { initTimeline, openTimeline, timelineReceive, timelineTransport, timelineLoop } from "./timeline.js";

const mixer = document.getElementById("mixer");
const link = document.getElementById("link");
const clock = document.getElementById("clock");
const statusLine = document.getElementById("status");
/** The daemon's `/status` reply, as it arrives (one message each). */
const status = new Map();
const strips = new Map();
/** The last value of every control address the daemon told of. */
const last = new Map();
let socket = null;
let marks = [];
let retryMs = 500;

/** What tests and tools can read: the strips by address base and the
 * messages received so far. */
window.faderd = {
  strips,
  last,
  received: 0,
  connected: false,
  send: (...a) => send(...a),
  /** The meter a strip shows now (fader-law position), -1 before any. */
  meter: (base) => strips.get(base)?.meterPos ?? -1,
  /** Its RMS bar (fader-law position), -1 before any. */
  rms: (base) => strips.get(base)?.rmsPos ?? -1,
  /** Meter frames drawn so far, and `/meters` blobs received. */
  meterFrames: 0,
  meterBlobs: 0,
  /** Drop the connection, as a network blip would (for tests). */
  drop: () => socket && socket.close(),
};

function send(address, ...args) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(message(address, ...args));
}
initDetail(send);
initTimeline(send, () =>
  [...mixer.children].map((c) => [c.dataset.strip, strips.get(c.dataset.strip)?.name.textContent ?? c.dataset.strip]),
);

/** "strip/3" before "bus/1" before "master"; numbers in order. */
function order(base) {
  const [kind, n] = base.split("/");
  const rank = { strip: 0, bus: 1, master: 2 }[kind] ?? 3;
  return rank * 100000 + Number(n || 0);
}

function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

function formatDb(db) {
  if (!Number.isFinite(db) || db <= -90) return "-\u221e";
  return (db > 0 ? "+" : "") + db.toFixed(1);
}

function strip(base) {
  let s = strips.get(base);
  if (s) return s;
  const root = el("section", "strip");
  root.dataset.strip = base;
  if (base === "master") root.classList.add("master");
  if (base.startsWith("bus/")) root.classList.add("bus");
  const name = el("div", "name", root);
  name.textContent = base === "master" ? "Master" : base.replace("strip/", "").replace("bus/", "Bus ");
  const pan = el("div", "pan", root);
  pan.setAttribute("role", "slider");
  pan.setAttribute("aria-label", "pan");
  const panDot = el("div", "pan-dot", pan);
  const buttons = el("div", "buttons", root);
  const mute = el("button", "mute", buttons);
  mute.textContent = "M";
  mute.setAttribute("aria-label", "mute");
  const solo = el("button", "solo", buttons);
  solo.textContent = "S";
  solo.setAttribute("aria-label", "solo");
  const box = el("div", "faderbox", root);
  const scale = el("div", "scale", box);
  for (const [label, pos] of marks) {
    const m = el("span", "mark", scale);
    m.textContent = label;
    m.style.bottom = `calc(${pos * 100}% - 0.5em)`;
  }
  const track = el("div", "track", box);
  track.setAttribute("role", "slider");
  track.setAttribute("aria-label", "fader");
  const cap = el("div", "cap", track);
  const meter = el("div", "meter", box);
  const canvas = el("canvas", "meter-canvas", meter);
  const clip = el("div", "clip", meter);
  const db = el("output", "db", root);
  db.textContent = "-\u221e";
  const auto = el("div", "auto", root);
  s = {
    base, root, name, pan, panDot, mute, solo, track, cap, canvas, clip, db, auto,
    pos: 0, panValue: 0.5, muted: false, soloed: false, held: false,
    peakPos: -1, peakAt: 0, meterPos: -1, rmsPos: -1, clipped: false,
    onScreen: false, drawn: null,
  };
  strips.set(base, s);
  wire(s);
  onScreen.observe(root);
  sized.observe(canvas);
  // In order: tracks, buses, then the master.
  const after = [...mixer.children].find((c) => order(c.dataset.strip) > order(base));
  mixer.insertBefore(root, after || null);
  return s;
}

/** Drawing waits for the next frame, and only the newest value of each
 * control is drawn: a page that falls behind (a burst after a stall, a
 * whole mix on reconnect) does one frame's work per control, however
 * many messages came. */
const toDraw = new Map();

function later(s, what, draw) {
  if (toDraw.size === 0) requestAnimationFrame(drawChanged);
  toDraw.set(`${s.base}\u0000${what}`, draw);
}

function drawChanged() {
  const draws = [...toDraw.values()];
  toDraw.clear();
  for (const draw of draws) draw();
}

function showFader(s, pos) {
  s.pos = Math.min(1, Math.max(0, pos));
  later(s, "fader", () => {
    s.cap.style.bottom = `calc(${s.pos * 100}% - var(--cap) / 2)`;
    s.cap.dataset.pos = s.pos.toFixed(4);
    s.track.setAttribute("aria-valuenow", s.pos.toFixed(4));
  });
}

function showPan(s, v) {
  s.panValue = Math.min(1, Math.max(0, v));
  later(s, "pan", () => {
    s.panDot.style.left = `${s.panValue * 100}%`;
    s.pan.dataset.value = s.panValue.toFixed(4);
  });
}

function showGain(s, db) {
  s.gainDb = db;
  later(s, "gain", () => (s.db.textContent = formatDb(s.gainDb)));
}

function wire(s) {
  // A fader drag is a touch: the daemon holds other surfaces' moves off it
  // while the pointer is down. Relative moves; Shift, Ctrl or a second
  // finger for fine ones.
  let start = null;
  let fingers = 0;
  s.track.addEventListener("pointerdown", (e) => {
    fingers += 1;
    if (start) return;
    s.track.setPointerCapture(e.pointerId);
    start = { y: e.clientY, pos: s.pos, id: e.pointerId };
    s.held = true;
    send(`/${s.base}/fader/touch`, { i: 1 });
  });
  s.track.addEventListener("pointermove", (e) => {
    if (!start || e.pointerId !== start.id) return;
    const fine = e.shiftKey || e.ctrlKey || fingers > 1 ? 0.1 : 1;
    const h = s.track.clientHeight || 1;
    const pos = start.pos + ((start.y - e.clientY) / h) * fine;
    showFader(s, pos);
    send(`/${s.base}/fader`, s.pos);
  });
  const release = (e) => {
    fingers = Math.max(0, fingers - 1);
    if (!start || e.pointerId !== start.id) return;
    start = null;
    s.held = false;
    send(`/${s.base}/fader/touch`, { i: 0 });
  };
  s.track.addEventListener("pointerup", release);
  s.track.addEventListener("pointercancel", release);
  // Double-tap: 0 dB.
  s.track.addEventListener("dblclick", () => send(`/${s.base}/gain`, 0));
  let panStart = null;
  s.pan.addEventListener("pointerdown", (e) => {
    s.pan.setPointerCapture(e.pointerId);
    panStart = { x: e.clientX, v: s.panValue };
  });
  s.pan.addEventListener("pointermove", (e) => {
    if (!panStart) return;
    const w = s.pan.clientWidth || 1;
    const fine = e.shiftKey || e.ctrlKey ? 0.1 : 1;
    showPan(s, panStart.v + ((e.clientX - panStart.x) / w) * fine);
    send(`/${s.base}/pan`, s.panValue);
  });
  s.pan.addEventListener("pointerup", () => (panStart = null));
  s.pan.addEventListener("pointercancel", () => (panStart = null));
  s.pan.addEventListener("dblclick", () => {
    showPan(s, 0.5);
    send(`/${s.base}/pan`, 0.5);
  });
  // A switch shows its new state at once: the daemon does not echo a
  // client's own change (it tells it only if the value was refused).
  s.mute.addEventListener("click", () => {
    showMute(s, !s.muted);
    send(`/${s.base}/mute`, { i: s.muted ? 1 : 0 });
  });
  s.solo.addEventListener("click", () => {
    showSolo(s, !s.soloed);
    send(`/${s.base}/solo`, { i: s.soloed ? 1 : 0 });
  });
  s.clip.addEventListener("click", () => {
    s.clipped = false;
    s.clip.classList.remove("lit");
  });
  s.name.addEventListener("click", () => {
    openDetail(s.base, s.name.textContent, last);
    // Meters come only when they change: show the reduction as it is.
    detailReduction(s.base, s.reduction ?? 0);
  });
}

function showMute(s, on) {
  s.muted = on;
  s.mute.classList.toggle("on", on);
  s.mute.setAttribute("aria-pressed", String(on));
}

function showSolo(s, on) {
  s.soloed = on;
  s.solo.classList.toggle("on", on);
  s.solo.setAttribute("aria-pressed", String(on));
}

const HOLD_MS = 1500;

/** Which strips are on screen: only they draw their meters (the others
 * keep their levels and draw when scrolled to). */
const onScreen = new IntersectionObserver(
  (entries) => {
    for (const e of entries) {
      const s = strips.get(e.target.dataset.strip);
      if (!s) continue;
      s.onScreen = e.isIntersecting;
      if (s.onScreen) drawMeter(s);
    }
  },
  { root: mixer },
);

/** Each meter canvas is as many pixels as it shows. */
const sized = new ResizeObserver((entries) => {
  for (const e of entries) {
    const c = e.target;
    const ratio = window.devicePixelRatio || 1;
    c.width = Math.max(1, Math.round(e.contentRect.width * ratio));
    c.height = Math.max(1, Math.round(e.contentRect.height * ratio));
    const s = strips.get(c.closest(".strip")?.dataset.strip);
    if (s) {
      s.drawn = null;
      drawMeter(s);
    }
  }
});

/** A strip's meter at `pos` (peak) and `rms` (fader-law positions), with
 * the peak held for a moment. */
function showMeter(s, pos, now = performance.now(), rms = -1) {
  s.meterPos = pos;
  if (rms >= 0) s.rmsPos = rms;
  if (pos >= s.peakPos || now - s.peakAt > HOLD_MS) {
    s.peakPos = pos;
    s.peakAt = now;
  }
  if (s.onScreen) drawMeter(s);
}

/** The meter's colours are fixed to the scale: green, yellow from -5 dB
 * to 0 dBFS, red above (fader-law positions). */
const YELLOW_FROM = 0.675;
const RED_FROM = 0.75;

/** Draw a strip's meter on its canvas: one canvas, a few rectangles, no
 * style or layout work, and nothing when what it shows is unchanged. */
function drawMeter(s) {
  const c = s.canvas;
  const w = c.width;
  const h = c.height;
  const px = (p) => Math.round(Math.max(0, Math.min(1, p)) * h);
  const level = px(s.meterPos);
  const rms = px(s.rmsPos);
  const hold = px(s.peakPos);
  const key = level * 1e8 + rms * 1e4 + hold;
  if (s.drawn === key) return;
  s.drawn = key;
  const g = c.getContext("2d");
  g.fillStyle = "#0c0e10";
  g.fillRect(0, 0, w, h);
  const band = (from, to, colour) => {
    const a = px(from);
    const b = Math.min(level, px(to));
    if (b > a) {
      g.fillStyle = colour;
      g.fillRect(0, h - b, w, b - a);
    }
  };
  band(0, YELLOW_FROM, "#2fbf5b");
  band(YELLOW_FROM, RED_FROM, "#e6c229");
  band(RED_FROM, 1, "#e5484d");
  if (rms > 0) {
    g.fillStyle = "#ffffff66";
    g.fillRect(Math.round(w * 0.3), h - rms, Math.max(1, Math.round(w * 0.4)), rms);
  }
  if (hold > 0) {
    g.fillStyle = "#ffffff";
    g.fillRect(0, h - hold, w, Math.max(1, Math.round(2 * (window.devicePixelRatio || 1))));
  }
}

/** The newest `/meters` blob, drawn at the next frame, and the highest
 * peak and gain reduction of each strip in the blobs since the last one
 * drawn: several blobs that arrive before a frame are drawn once, and a
 * peak in one of them still reaches the meter, its hold and its clip. */
let meterBlob = null;
let metersSince = new Uint16Array(0);

/** Meters yield to controls on a page that cannot keep up (an old phone,
 * a laptop busy with other work). How late the frame that draws meters
 * comes after it was asked for says how far behind the page runs
 * (smoothed, ms). While that is over two frames at 60 Hz, meters are
 * drawn at most once in four times that (at least 4 times a second), so
 * the frames in between draw faders and buttons sooner; they speed up
 * again as the page catches up. */
const meterPace = { lateMs: 0, askedAt: 0, drawnAt: 0 };
const METER_LATE_MS = 34;
const METER_SLOWEST_MS = 250;

function meterGapMs() {
  return meterPace.lateMs > METER_LATE_MS ? Math.min(METER_SLOWEST_MS, 4 * meterPace.lateMs) : 0;
}

/** The `/meters` blob (little-endian): tracks u16, buses u16, then per
 * strip (tracks, buses, master) the peak and the RMS as fader-law
 * positions x 10000 and the gain reduction in hundredths of a dB, u16
 * each; then the master limiter's own reduction, u16. */
const METER_STRIDE = 6;

function meterStrips(blob) {
  const n = blob.getUint16(0, true) + blob.getUint16(2, true) + 1;
  return Math.min(n, Math.floor((blob.byteLength - 4) / METER_STRIDE));
}

function showMeters(blob) {
  if (!(blob instanceof DataView) || blob.byteLength < 4) return;
  window.faderd.meterBlobs += 1;
  const n = meterStrips(blob);
  if (metersSince.length !== 2 * n) metersSince = new Uint16Array(2 * n);
  for (let i = 0; i < n; i++) {
    const at = 4 + METER_STRIDE * i;
    metersSince[2 * i] = Math.max(metersSince[2 * i], blob.getUint16(at, true));
    metersSince[2 * i + 1] = Math.max(metersSince[2 * i + 1], blob.getUint16(at + 4, true));
  }
  const pending = meterBlob !== null;
  meterBlob = blob;
  if (pending) return;
  const wait = meterPace.drawnAt + meterGapMs() - performance.now();
  const ask = () => {
    meterPace.askedAt = performance.now();
    requestAnimationFrame(drawMeters);
  };
  if (wait > 0) setTimeout(ask, wait);
  else ask();
}

function drawMeters() {
  const blob = meterBlob;
  meterBlob = null;
  const now = performance.now();
  // (One frame seconds late, as when the page comes back from the
  // background, counts as no later than the slowest pace.)
  const late = Math.min(now - meterPace.askedAt, METER_SLOWEST_MS);
  meterPace.lateMs += (late - meterPace.lateMs) / 8;
  meterPace.drawnAt = now;
  window.faderd.meterFrames += 1;
  const tracks = blob.getUint16(0, true);
  const buses = blob.getUint16(2, true);
  // (`showMeters` sized the maxima for this, the newest, blob.)
  const n = metersSince.length / 2;
  if (blob.byteLength >= 4 + METER_STRIDE * n + 2) {
    detailLimiter(blob.getUint16(4 + METER_STRIDE * n, true) / 100);
  }
  for (let i = 0; i < n; i++) {
    const base = i < tracks ? `strip/${i + 1}` : i < tracks + buses ? `bus/${i - tracks + 1}` : "master";
    const s = strips.get(base);
    const pos = metersSince[2 * i] / 10000;
    const reduction = metersSince[2 * i + 1] / 100;
    metersSince[2 * i] = 0;
    metersSince[2 * i + 1] = 0;
    if (!s) continue;
    showMeter(s, pos, now, blob.getUint16(4 + METER_STRIDE * i + 2, true) / 10000);
    // The fader law puts 0 dBFS at three quarters of the travel.
    if (pos >= 0.75 && !s.clipped) {
      s.clipped = true;
      s.clip.classList.add("lit");
    }
    s.reduction = reduction;
    detailReduction(base, s.reduction);
  }
}

/** The session has `tracks` tracks and `buses` buses: strips beyond
 * them are gone (a track removed; the ones after it moved up and are
 * shown their new values). */
function dropStripsBeyond(tracks, buses) {
  for (const [base, s] of strips) {
    const [kind, n] = base.split("/");
    if ((kind === "strip" && Number(n) > tracks) || (kind === "bus" && Number(n) > buses)) {
      s.root.remove();
      strips.delete(base);
      for (const a of [...last.keys()]) if (a.startsWith(`/${base}/`)) last.delete(a);
      if (document.getElementById("detail")?.dataset.strip === base) openDetail(null);
      if (document.getElementById("timeline")?.dataset.strip === base) openTimeline(null);
    }
  }
}

/** The meter stream and the answers to one asker (curves, the loudness
 * history): not state for a detail opened later to be shown. */
function isReply(address) {
  return (
    address === "/meters" ||
    ["/eq/response", "/dyn/response", "/master/loudness/history"].some((p) => address.startsWith(p))
  );
}

/** One message from the daemon. */
function receive(address, args) {
  window.faderd.received += 1;
  const v = args[0];
  if (address.startsWith("/automation/lanes/") || address.startsWith("/automation/choices/")) {
    timelineReceive(address, args);
    return;
  }
  if (!isReply(address)) last.set(address, args);
  // The open strip's detail takes its EQ messages (they also reach the
  // strip below when it shows them).
  detailReceive(address, args);
  if (address === "/transport/locate") {
    const t = Math.max(0, v);
    const m = Math.floor(t / 60);
    clock.textContent = `${m}:${(t - m * 60).toFixed(1).padStart(4, "0")}`;
    timelineTransport(t, null);
    return;
  }
  if (address.startsWith("/status/")) {
    status.set(address, v);
    if (address === "/status/dsp_load") showStatus();
    if (address === "/status/transport/loop_end") {
      timelineLoop(status.get("/status/transport/loop_start") ?? -1, v);
    }
    return;
  }
  if (address === "/meters") {
    showMeters(v);
    return;
  }
  if (address === "/session/strips") {
    dropStripsBeyond(v, args[1]);
    return;
  }
  if (address === "/transport/play") {
    document.getElementById("play").classList.toggle("on", v >= 0.5);
    timelineTransport(null, v >= 0.5);
    return;
  }
  const m = /^\/((?:strip|bus)\/\d+|master)\/(.+)$/.exec(address);
  if (!m) return;
  const [, base, param] = m;
  switch (param) {
    case "name": {
      const s = strip(base);
      s.name.textContent = v;
      s.root.title = v;
      break;
    }
    case "fader": {
      const s = strip(base);
      if (!s.held) showFader(s, v);
      break;
    }
    case "gain":
      showGain(strip(base), v);
      break;
    case "pan":
      showPan(strip(base), v);
      break;
    case "mute":
      showMute(strip(base), v >= 0.5);
      break;
    case "solo":
      showSolo(strip(base), v >= 0.5);
      break;
    case "colour":
      strip(base).root.dataset.colour = v;
      break;
    case "automation":
      strip(base).auto.textContent = v;
      strip(base).auto.dataset.mode = v;
      timelineReceive(address, args);
      break;
    case "meter":
      if (strips.has(base)) showMeter(strips.get(base), v);
      break;
    case "meter/db":
      if (strips.has(base) && v >= 0) {
        strips.get(base).clipped = true;
        strips.get(base).clip.classList.add("lit");
      }
      break;
    default:
      break;
  }
}

function connect() {
  const url = `ws://${location.host}/osc${location.search}`;
  socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => {
    retryMs = 500;
    window.faderd.connected = true;
    link.textContent = "live";
    link.className = "link up";
    // The whole mix, then every change, with every meter in one blob.
    send("/subscribe", { i: 0 }, { i: 2 });
    send("/status");
    // Counts of what is connected are the daemon's at its last tick: ask
    // again once this page is counted.
    setTimeout(() => send("/status"), 300);
    // A reconnect redraws the open detail too.
    const d = document.getElementById("detail");
    if (d) openDetail(d.dataset.strip, d.querySelector("h2").textContent, last);
  });
  socket.addEventListener("message", (e) => {
    if (!(e.data instanceof ArrayBuffer)) return;
    let messages;
    try {
      messages = decode(e.data);
    } catch (err) {
      console.warn("faderd: a packet that is not OSC", err);
      return;
    }
    for (const [address, args] of messages) receive(address, args);
  });
  socket.addEventListener("close", () => {
    window.faderd.connected = false;
    link.textContent = "reconnecting";
    link.className = "link down";
    setTimeout(connect, retryMs);
    retryMs = Math.min(5000, retryMs * 2);
  });
}

/** What is connected, as `/status/online/KIND` counts it: consoles
 * always, the others when there are any. */
const ONLINE = [
  ["consoles", "console", "consoles"],
  ["osc", "tablet", "tablets"],
  ["mackie", "Mackie unit", "Mackie units"],
  ["midi", "MIDI controller", "MIDI controllers"],
  ["serial", "fader board", "fader boards"],
];

/** Audio and session health at a glance: xruns, DSP load, consoles,
 * tablets and desks connected, unsaved changes. Asked every 2 s. */
function showStatus() {
  const xruns = status.get("/status/xruns") ?? 0;
  const dsp = status.get("/status/dsp_load") ?? 0;
  const dirty = status.get("/status/session/dirty") === 1;
  const audio = status.get("/status/audio") === 1;
  const online = ONLINE.map(([kind, one, many]) => [status.get(`/status/online/${kind}`) ?? 0, one, many])
    .filter(([n], i) => i === 0 || n > 0)
    .map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  statusLine.textContent =
    `${audio ? "audio" : "no audio"} \u00b7 DSP ${dsp.toFixed(0)}% \u00b7 ${xruns} xruns \u00b7 ` +
    `${online.join(" \u00b7 ")} \u00b7 ${dirty ? "unsaved" : "saved"}`;
  statusLine.classList.toggle("warn", xruns > 0 || !audio);
  statusLine.dataset.xruns = String(xruns);
  statusLine.dataset.dirty = String(dirty);
}
setInterval(() => send("/status"), 2000);

document.getElementById("lanes").addEventListener("click", () => {
  if (document.getElementById("timeline")) openTimeline(null);
  else openTimeline(document.getElementById("detail")?.dataset.strip ?? mixer.firstElementChild?.dataset.strip ?? "master");
});
document.getElementById("rtz").addEventListener("click", () => send("/transport/locate", 0));
document.getElementById("play").addEventListener("click", () => send("/transport/play"));
document.getElementById("stop").addEventListener("click", () => send("/transport/stop"));

fetch("/console.json")
  .then((r) => r.json())
  .then((c) => {
    marks = c.fader_marks;
    detailFacts(c);
  })
  .catch(() => {})
  .finally(connect);
