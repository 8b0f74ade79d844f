// A strip's detail: its EQ drawn as its true magnitude response (the
// daemon computes it from the very filter sections the engine runs, at
// the engine's rate; `/eq/response`), with a handle per band to drag
// (frequency across, gain up and down) and the high-pass; the
// compressor's and the gate's transfer curves (`/dyn/response`, from the
// engine's own curve functions) beside the live gain reduction.

const F_MIN = 20;
const F_MAX = 20000;
const DB_MIN = -18;
const DB_MAX = 18;
const W = 600;
const H = 240;
const NS = "http://www.w3.org/2000/svg";

let panel = null;
/** The open strip's sends by number: their rows. */
const sends = new Map();
let open = null;
let send = () => {};
const bands = new Map();
/** The curves to ask for at the next frame (`/eq/response`, `/dyn/response`). */
const pending = new Set();

/** The dynamics plot: input and output level, -80..0 dB, square. */
const DYN_MIN = -80;
const D = 240;
const dx = (db) => ((Math.max(DYN_MIN, Math.min(0, db)) - DYN_MIN) / -DYN_MIN) * D;
const dy = (db) => D - dx(db);

const x = (f) => (Math.log10(f / F_MIN) / Math.log10(F_MAX / F_MIN)) * W;
const y = (db) => ((DB_MAX - Math.max(DB_MIN, Math.min(DB_MAX, db))) / (DB_MAX - DB_MIN)) * H;
const fAt = (px) => F_MIN * Math.pow(F_MAX / F_MIN, px / W);
const dbAt = (py) => DB_MAX - (py / H) * (DB_MAX - DB_MIN);

function svg(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

/** Wire the panel to the page's sender. */
export function initDetail(sender) {
  send = sender;
  setInterval(sampleHistory, HISTORY_EVERY_MS);
}

/** Show `base`'s detail (`strip/1`, `bus/2`, `master`), or close it;
 * `known` holds the last value of every address the page was told of. */
export function openDetail(base, name, known) {
  if (panel) panel.remove();
  bands.clear();
  sends.clear();
  hpf.held = false;
  open = base;
  if (!base) return;
  panel = document.createElement("section");
  panel.id = "detail";
  panel.dataset.strip = base;
  panel.setAttribute("aria-label", `${name} detail`);
  const head = document.createElement("header");
  const title = document.createElement("h2");
  title.textContent = name;
  const close = document.createElement("button");
  close.textContent = "\u2715";
  close.className = "close";
  close.setAttribute("aria-label", "close");
  close.addEventListener("click", () => openDetail(null));
  head.append(title);
  if (base.startsWith("strip/")) {
    // Removing a track is for good (its settings, sends and automation):
    // asked first.
    const remove = document.createElement("button");
    remove.textContent = "Remove";
    remove.className = "remove";
    remove.setAttribute("aria-label", "remove track");
    remove.addEventListener("click", () => {
      if (!confirm(`Remove the track ${name}, with its settings and automation?`)) return;
      send("/session/remove_track", { i: Number(base.split("/")[1]) });
      openDetail(null);
    });
    head.append(remove);
  }
  head.append(close);
  panel.appendChild(head);
  panel.appendChild(colourRow(base, known));
  const plot = svg("svg", {
    id: "eq",
    class: "plot",
    viewBox: `0 0 ${W} ${H}`,
    "data-fmin": F_MIN,
    "data-fmax": F_MAX,
    "data-dbmin": DB_MIN,
    "data-dbmax": DB_MAX,
    "data-width": W,
    "data-height": H,
    role: "img",
    "aria-label": "EQ response",
  });
  for (const f of [50, 100, 200, 500, 1000, 2000, 5000, 10000]) {
    svg("line", { x1: x(f), x2: x(f), y1: 0, y2: H, class: "grid" }, plot);
    const t = svg("text", { x: x(f) + 2, y: H - 4, class: "axis" }, plot);
    t.textContent = f >= 1000 ? `${f / 1000}k` : `${f}`;
  }
  for (const db of [-12, -6, 0, 6, 12]) {
    svg("line", { x1: 0, x2: W, y1: y(db), y2: y(db), class: db === 0 ? "grid zero" : "grid" }, plot);
    const t = svg("text", { x: 2, y: y(db) - 2, class: "axis" }, plot);
    t.textContent = `${db > 0 ? "+" : ""}${db}`;
  }
  svg("polyline", { id: "eq-curve", points: "", class: "curve" }, plot);
  panel.appendChild(hpfRow());
  panel.appendChild(plot);
  hpfHandle(plot);
  const dynRow = document.createElement("div");
  dynRow.className = "dyn-row";
  const dyn = svg("svg", {
    id: "dyn",
    class: "plot",
    viewBox: `0 0 ${D} ${D}`,
    "data-min": DYN_MIN,
    "data-size": D,
    role: "img",
    "aria-label": "compressor and gate curves",
  });
  for (const db of [-60, -40, -20]) {
    svg("line", { x1: dx(db), x2: dx(db), y1: 0, y2: D, class: "grid" }, dyn);
    svg("line", { x1: 0, x2: D, y1: dy(db), y2: dy(db), class: "grid" }, dyn);
    const t = svg("text", { x: dx(db) + 2, y: D - 4, class: "axis" }, dyn);
    t.textContent = `${db}`;
  }
  svg("line", { x1: dx(DYN_MIN), y1: dy(DYN_MIN), x2: dx(0), y2: dy(0), class: "grid unity" }, dyn);
  svg("polyline", { id: "gate-curve", points: "", class: "curve gate" }, dyn);
  svg("polyline", { id: "comp-curve", points: "", class: "curve" }, dyn);
  dynRow.appendChild(dyn);
  dynRow.append(...reductionMeter("gr", "gain reduction", "gr"));
  panel.appendChild(dynRow);
  if (base === "master") panel.append(limiterPanel(), loudnessPanel());
  const sendList = document.createElement("div");
  sendList.id = "sends";
  sendList.setAttribute("aria-label", "sends");
  panel.appendChild(sendList);
  document.body.appendChild(panel);
  for (const [address, args] of known || []) {
    if (
      address.startsWith(`/${base}/eq/`) ||
      address.startsWith(`/${base}/hpf/`) ||
      address.startsWith(`/${base}/send/`) ||
      address.startsWith("/master/loudness/") ||
      address.startsWith("/master/limiter/")
    ) {
      detailReceive(address, args);
    }
  }
  request("/eq/response");
  request("/dyn/response");
}

/** The strip's colour, one swatch each (the colours a scribble strip
 * shows, so the desk agrees). */
const COLOURS = ["none", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

function colourRow(base, known) {
  const row = document.createElement("div");
  row.className = "colours";
  row.setAttribute("role", "radiogroup");
  row.setAttribute("aria-label", "colour");
  const now = known?.get(`/${base}/colour`)?.[0] ?? "none";
  for (const c of COLOURS) {
    const b = document.createElement("button");
    b.className = "swatch";
    b.dataset.colour = c;
    b.setAttribute("role", "radio");
    b.setAttribute("aria-label", c);
    b.setAttribute("aria-checked", String(c === now));
    b.addEventListener("click", () => {
      for (const o of row.children) o.setAttribute("aria-checked", String(o === b));
      // Shown at once: the daemon does not echo a client's own change.
      const strip = document.querySelector(`.strip[data-strip="${base}"]`);
      if (strip) strip.dataset.colour = c;
      send(`/${base}/colour`, c);
    });
    row.appendChild(b);
  }
  return row;
}

/** A switch (pre/post, in/out): a button that shows its new state at
 * once (the daemon does not echo a client's own change) and sends it as
 * 0|1 to `address()`. `isOn` reads the state, `show` shows one. */
function switchButton(text, label, isOn, show, address) {
  const b = document.createElement("button");
  b.className = "send-pre";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", () => {
    const next = isOn() ? 0 : 1;
    show(next);
    send(address(), { i: next });
  });
  return b;
}

/** Show switch button `b` on or off. */
function lit(b, on) {
  b?.classList.toggle("on", on);
  b?.setAttribute("aria-pressed", String(on));
}

/** The high-pass: in or out (the button, or a double-tap on its handle)
 * and its frequency (drag the handle across). */
const hpf = { on: false, freq: 80, held: false };

function hpfRow() {
  const row = document.createElement("div");
  row.className = "hpf-row";
  const b = switchButton("HPF", "high-pass", () => hpf.on, (v) => showHpf("on", v), () => `/${open}/hpf/on`);
  b.id = "hpf-on";
  const f = document.createElement("output");
  f.id = "hpf-freq";
  row.append(b, f);
  return row;
}

function hpfHandle(plot) {
  const [dot, label] = plotHandle(plot, "H", { id: "hpf-handle", class: "handle hpf", "data-band": "hpf" }, hpf, (px) => {
    showHpf("freq", Math.max(F_MIN, Math.min(F_MAX, fAt(px))), true);
    send(`/${open}/hpf/freq`, hpf.freq);
  });
  label.id = "hpf-label";
  dot.addEventListener("dblclick", () => document.getElementById("hpf-on")?.click());
  placeHpf();
}

/** A handle on the EQ plot, `text` on it: held (`grab.held`) from
 * pointer down to up, `onDrag(x, y)` given the pointer in the plot's
 * units while held. Returns the circle and its label. */
function plotHandle(plot, text, attrs, grab, onDrag) {
  const dot = svg("circle", { r: 11, ...attrs }, plot);
  const label = svg("text", { class: "handle-label" }, plot);
  label.textContent = text;
  dot.addEventListener("pointerdown", (e) => {
    dot.setPointerCapture(e.pointerId);
    grab.held = true;
  });
  dot.addEventListener("pointermove", (e) => {
    if (!grab.held) return;
    const box = plot.getBoundingClientRect();
    onDrag(((e.clientX - box.left) / box.width) * W, ((e.clientY - box.top) / box.height) * H);
  });
  const release = () => (grab.held = false);
  dot.addEventListener("pointerup", release);
  dot.addEventListener("pointercancel", release);
  return [dot, label];
}

function placeHpf() {
  const dot = document.getElementById("hpf-handle");
  if (!dot) return;
  // On the curve's -3 dB line, where a high-pass's corner is.
  dot.setAttribute("r", handleRadius().toFixed(1));
  dot.setAttribute("cx", x(hpf.freq));
  dot.setAttribute("cy", y(-3));
  dot.classList.toggle("off", !hpf.on);
  const label = document.getElementById("hpf-label");
  label.setAttribute("x", x(hpf.freq) - 4);
  label.setAttribute("y", y(-3) + 4);
}

/** The high-pass as told (`on`, `freq`), or as the hand drags it
 * (`byHand`): while held, the daemon's echo of the frequency waits. */
function showHpf(what, v, byHand = false) {
  if (what === "on") {
    hpf.on = v >= 0.5;
    lit(document.getElementById("hpf-on"), hpf.on);
  } else if (byHand || !hpf.held) {
    hpf.freq = v;
  }
  const f = document.getElementById("hpf-freq");
  if (f) {
    f.textContent = hpf.freq >= 1000 ? `${(hpf.freq / 1000).toFixed(2)} kHz` : `${hpf.freq.toFixed(0)} Hz`;
    f.dataset.hz = hpf.freq.toFixed(1);
  }
  placeHpf();
}

/** A gain-reduction bar (`ID-bar`, drawn by transform) and its figure
 * in dB (`ID-text`). */
function reductionMeter(cls, label, id) {
  const box = document.createElement("div");
  box.className = cls;
  box.setAttribute("aria-label", label);
  const bar = document.createElement("div");
  bar.id = `${id}-bar`;
  box.appendChild(bar);
  const text = document.createElement("output");
  text.id = `${id}-text`;
  text.textContent = "0.0";
  return [box, text];
}

/** Show `db` of reduction on the meter `reductionMeter` made as `id`:
 * its bar scaled along `scale` (full at `fullDb`), and its figure. */
function showReduction(id, db, fullDb, scale) {
  const bar = document.getElementById(`${id}-bar`);
  if (!bar) return;
  bar.style.transform = `${scale}(${Math.min(1, db / fullDb).toFixed(3)})`;
  const text = document.getElementById(`${id}-text`);
  text.textContent = db.toFixed(1);
  text.dataset.db = db.toFixed(2);
}

/** Ask for a curve at the next frame (once, however many changes came). */
function request(curve) {
  if (!open) return;
  if (pending.size === 0) {
    requestAnimationFrame(() => {
      for (const c of pending) if (open) send(c, open);
      pending.clear();
    });
  }
  pending.add(curve);
}

function band(k) {
  let b = bands.get(k);
  if (b) return b;
  const plot = document.getElementById("eq");
  b = { k, freq: 1000, gain: 0, held: false };
  // Drag: frequency across, gain up and down (a shelf or peak band).
  [b.dot, b.label] = plotHandle(plot, String(k), { class: `handle band${k}`, "data-band": k }, b, (px, py) => {
    b.freq = Math.max(F_MIN, Math.min(F_MAX, fAt(px)));
    b.gain = Math.max(DB_MIN, Math.min(DB_MAX, dbAt(py)));
    place(b);
    send(`/${open}/eq/${k}/freq`, b.freq);
    send(`/${open}/eq/${k}/gain`, b.gain);
  });
  bands.set(k, b);
  return b;
}

/** A handle is drawn at least 44 CSS px across on touch-sized screens
 * (the plot is scaled to fit, so its radius grows as the plot shrinks). */
function handleRadius() {
  const w = document.getElementById("eq")?.getBoundingClientRect().width || W;
  const touch = window.innerWidth < 1200 || window.matchMedia("(pointer: coarse)").matches;
  return touch ? Math.max(11, (22 * W) / w) : 11;
}

function place(b) {
  b.dot.setAttribute("r", handleRadius().toFixed(1));
  b.dot.setAttribute("cx", x(b.freq));
  b.dot.setAttribute("cy", y(b.gain));
  b.label.setAttribute("x", x(b.freq) - 4);
  b.label.setAttribute("y", y(b.gain) + 4);
}

/** A message for the detail, if it is one; true when it was. */
export function detailReceive(address, args) {
  if (!open) return false;
  if (address === `/eq/response/${open}`) {
    const blob = args[0];
    const pts = [];
    for (let i = 0; i + 8 <= blob.byteLength; i += 8) {
      const f = blob.getFloat32(i, true);
      const db = blob.getFloat32(i + 4, true);
      pts.push(`${x(f).toFixed(2)},${y(db).toFixed(3)}`);
    }
    const curve = document.getElementById("eq-curve");
    curve.setAttribute("points", pts.join(" "));
    curve.dataset.ready = "1";
    return true;
  }
  if (address === `/dyn/response/${open}`) {
    const blob = args[0];
    const comp = [];
    const gate = [];
    for (let i = 0; i + 12 <= blob.byteLength; i += 12) {
      const inDb = blob.getFloat32(i, true);
      comp.push(`${dx(inDb).toFixed(2)},${dy(blob.getFloat32(i + 4, true)).toFixed(3)}`);
      gate.push(`${dx(inDb).toFixed(2)},${dy(blob.getFloat32(i + 8, true)).toFixed(3)}`);
    }
    const c = document.getElementById("comp-curve");
    c.setAttribute("points", comp.join(" "));
    c.dataset.ready = "1";
    document.getElementById("gate-curve").setAttribute("points", gate.join(" "));
    return true;
  }
  if (address === "/master/loudness/history") {
    seedHistory(args[0]);
    return true;
  }
  if (open === "master" && address.startsWith("/master/loudness/")) {
    showLoudness(address.slice("/master/loudness/".length), args[0]);
    return true;
  }
  if (open === "master" && address.startsWith("/master/limiter/")) {
    showLimiter(address.slice("/master/limiter/".length), args[0]);
    return true;
  }
  const prefix = `/${open}/`;
  if (!address.startsWith(prefix)) return false;
  const rest = address.slice(prefix.length);
  const sm = /^send\/(\d+)\/(fader|gain|pre|bus)$/.exec(rest);
  if (sm) {
    showSend(Number(sm[1]), sm[2], args[0]);
    return true;
  }
  if (!["eq", "hpf", "comp", "gate"].some((p) => rest.startsWith(p))) return false;
  const h = /^hpf\/(on|freq)$/.exec(rest);
  if (h) showHpf(h[1], args[0]);
  const m = /^eq\/(\d)\/(freq|gain)$/.exec(rest);
  if (m) {
    const b = band(Number(m[1]));
    if (!b.held) {
      b[m[2]] = args[0];
      place(b);
    }
  }
  // A filter or EQ change redraws the EQ; a dynamics change the curves.
  request(rest.startsWith("eq") || rest.startsWith("hpf") ? "/eq/response" : "/dyn/response");
  return true;
}

/** The open strip's gain reduction now (dB, from the meter blob). */
export function detailReduction(base, db) {
  if (base === open) showReduction("gr", db, 24, "scaleY");
}

/** The master limiter: in or out, its ceiling (drag across its range;
 * double-tap for -1 dBTP), its release, and its own gain reduction
 * (from the meter blob), apart from the master's compressor's. */
let CEIL_MIN = -24;
const limiter = { on: false, ceiling: -1, release: 0 };

/** The daemon's `/console.json`: the ranges of the page's own controls. */
export function detailFacts(facts) {
  if (Array.isArray(facts.limiter_ceiling_db)) CEIL_MIN = facts.limiter_ceiling_db[0];
}

function limiterPanel() {
  const box = document.createElement("div");
  box.id = "limiter";
  const label = document.createElement("span");
  label.textContent = "Limiter";
  label.className = "lim-label";
  const on = switchButton("in", "limiter in", () => limiter.on, (v) => showLimiter("on", v), () => "/master/limiter/on");
  on.id = "lim-on";
  const track = document.createElement("div");
  track.className = "send-track";
  track.id = "lim-ceiling";
  track.setAttribute("role", "slider");
  track.setAttribute("aria-label", "limiter ceiling");
  const fill = document.createElement("div");
  fill.className = "send-fill";
  track.appendChild(fill);
  let start = null;
  track.addEventListener("pointerdown", (e) => {
    track.setPointerCapture(e.pointerId);
    start = { x: e.clientX, db: limiter.ceiling };
  });
  track.addEventListener("pointermove", (e) => {
    if (!start) return;
    const fine = e.shiftKey || e.ctrlKey ? 0.1 : 1;
    const db = start.db + ((e.clientX - start.x) / (track.clientWidth || 1)) * -CEIL_MIN * fine;
    showLimiter("ceiling", Math.max(CEIL_MIN, Math.min(0, db)));
    send("/master/limiter/ceiling", limiter.ceiling);
  });
  track.addEventListener("pointerup", () => (start = null));
  track.addEventListener("pointercancel", () => (start = null));
  track.addEventListener("dblclick", () => send("/master/limiter/ceiling", -1));
  const ceiling = document.createElement("output");
  ceiling.id = "lim-ceiling-db";
  ceiling.className = "send-db";
  const release = document.createElement("output");
  release.id = "lim-release";
  release.className = "lim-release";
  const [gr, text] = reductionMeter("lim-gr", "limiter gain reduction", "lim");
  text.className = "send-db";
  box.append(label, on, track, ceiling, release, gr, text);
  return box;
}

function showLimiter(what, v) {
  if (what === "on") {
    limiter.on = v >= 0.5;
    lit(document.getElementById("lim-on"), limiter.on);
  } else if (what === "ceiling") {
    limiter.ceiling = v;
    const t = document.getElementById("lim-ceiling");
    if (!t) return;
    t.firstChild.style.transform = `scaleX(${((v - CEIL_MIN) / -CEIL_MIN).toFixed(4)})`;
    t.dataset.db = v.toFixed(2);
    document.getElementById("lim-ceiling-db").textContent = `${v.toFixed(1)} dBTP`;
  } else if (what === "release") {
    limiter.release = v;
    const r = document.getElementById("lim-release");
    if (r) r.textContent = `${v.toFixed(0)} ms`;
  }
}

/** The master limiter's own reduction now (dB, from the meter blob). */
export function detailLimiter(db) {
  if (open === "master") showReduction("lim", db, 12, "scaleX");
}

/** Send `k`'s row: the bus it feeds, its level (a slider on the fader
 * law: drag it, double-tap for 0 dB), its gain in dB, pre or post fader. */
function sendRow(k) {
  let r = sends.get(k);
  if (r) return r;
  const list = document.getElementById("sends");
  const row = document.createElement("div");
  row.className = "send";
  row.dataset.send = String(k);
  const bus = document.createElement("span");
  bus.className = "send-bus";
  bus.textContent = `Send ${k}`;
  const track = document.createElement("div");
  track.className = "send-track";
  track.setAttribute("role", "slider");
  track.setAttribute("aria-label", `send ${k} level`);
  const fill = document.createElement("div");
  fill.className = "send-fill";
  track.appendChild(fill);
  const db = document.createElement("output");
  db.className = "send-db";
  const pre = switchButton("pre", `send ${k} pre-fader`, () => r.isPre, (v) => showSend(k, "pre", v), () => `/${open}/send/${k}/pre`);
  row.append(bus, track, db, pre);
  list.appendChild(row);
  r = { k, bus, track, fill, db, pre, pos: 0, isPre: false, held: false };
  sends.set(k, r);
  let start = null;
  track.addEventListener("pointerdown", (e) => {
    track.setPointerCapture(e.pointerId);
    start = { x: e.clientX, pos: r.pos };
    r.held = true;
    send(`/${open}/send/${k}/fader/touch`, { i: 1 });
  });
  track.addEventListener("pointermove", (e) => {
    if (!start) return;
    const fine = e.shiftKey || e.ctrlKey ? 0.1 : 1;
    const pos = start.pos + ((e.clientX - start.x) / (track.clientWidth || 1)) * fine;
    showSend(k, "fader", Math.max(0, Math.min(1, pos)));
    send(`/${open}/send/${k}/fader`, r.pos);
  });
  const release = () => {
    if (!start) return;
    start = null;
    r.held = false;
    send(`/${open}/send/${k}/fader/touch`, { i: 0 });
  };
  track.addEventListener("pointerup", release);
  track.addEventListener("pointercancel", release);
  track.addEventListener("dblclick", () => send(`/${open}/send/${k}/gain`, 0));

  return r;
}

function showSend(k, what, v) {
  const r = sendRow(k);
  if (what === "bus") {
    r.bus.textContent = v;
  } else if (what === "fader") {
    r.pos = v;
    r.fill.style.transform = `scaleX(${v.toFixed(4)})`;
    r.track.dataset.pos = v.toFixed(4);
  } else if (what === "gain") {
    r.db.textContent = !Number.isFinite(v) || v <= -90 ? "-\u221e" : `${v > 0 ? "+" : ""}${v.toFixed(1)}`;
  } else if (what === "pre") {
    r.isPre = v >= 0.5;
    lit(r.pre, r.isPre);
  }
}

/** The master's loudness (EBU R 128): momentary, short-term, integrated,
 * range and true peak as the daemon measures them, a minute of
 * short-term history, and a reset. */
const FIGURES = [
  ["momentary", "M", "LUFS"],
  ["short_term", "S", "LUFS"],
  ["integrated", "I", "LUFS"],
  ["range", "LRA", "LU"],
  ["true_peak", "TP", "dBTP"],
];
const HISTORY_S = 60;
const HISTORY_EVERY_MS = 500;
const LU_MIN = -60;
/** The last minute of short-term loudness: (seconds, LUFS). Opening
 * the master's detail asks the daemon for its own minute
 * (`/master/loudness/history`, which reaches back before the page);
 * while the detail is open the page adds a reading twice a second. */
let history = [];
/** The newest short-term figure (the daemon sends it when it changes). */
let shortTerm = LU_MIN;

function loudnessPanel() {
  send("/master/loudness/history");
  const box = document.createElement("div");
  box.id = "loudness";
  const figs = document.createElement("div");
  figs.className = "figures";
  for (const [key, label, unit] of FIGURES) {
    const f = document.createElement("div");
    f.className = "figure";
    const l = document.createElement("span");
    l.textContent = label;
    const v = document.createElement("output");
    v.id = `loud-${key}`;
    v.textContent = "-\u221e";
    const u = document.createElement("span");
    u.className = "unit";
    u.textContent = unit;
    f.append(l, v, u);
    figs.appendChild(f);
  }
  const reset = document.createElement("button");
  reset.textContent = "reset";
  reset.className = "loud-reset";
  reset.addEventListener("click", () => {
    history = [];
    drawHistory(document.getElementById("loud-line"));
    send("/master/loudness/reset");
  });
  figs.appendChild(reset);
  box.appendChild(figs);
  const plot = svg("svg", { id: "loud-history", class: "plot", viewBox: `0 0 ${W} 120`, role: "img", "aria-label": "short-term loudness, last minute" });
  for (const lu of [-40, -23, -14]) {
    const yy = ((lu / LU_MIN) * 120).toFixed(1);
    svg("line", { x1: 0, x2: W, y1: yy, y2: yy, class: lu === -23 ? "grid zero" : "grid" }, plot);
    const t = svg("text", { x: 2, y: Number(yy) - 2, class: "axis" }, plot);
    t.textContent = `${lu}`;
  }
  drawHistory(svg("polyline", { id: "loud-line", points: "", class: "curve" }, plot));
  box.appendChild(plot);
  return box;
}

function showLoudness(key, v) {
  if (key === "short_term") shortTerm = Number.isFinite(v) ? v : LU_MIN;
  const out = document.getElementById(`loud-${key}`);
  if (!out) return;
  out.textContent = Number.isFinite(v) ? v.toFixed(1) : "-\u221e";
  out.dataset.value = Number.isFinite(v) ? v.toFixed(2) : "-inf";
}

/** The daemon's history: short-term LUFS as f32 (little-endian), one
 * every 0.5 s of programme, oldest first, the newest now. */
function seedHistory(blob) {
  if (!(blob instanceof DataView)) return;
  const n = Math.floor(blob.byteLength / 4);
  const now = performance.now() / 1000;
  history = [];
  for (let i = 0; i < n; i++) {
    history.push([now - (n - 1 - i) * (HISTORY_EVERY_MS / 1000), blob.getFloat32(4 * i, true)]);
  }
  drawHistory(document.getElementById("loud-line"));
}

function sampleHistory() {
  const line = document.getElementById("loud-line");
  if (!line) return;
  const now = performance.now() / 1000;
  history.push([now, shortTerm]);
  while (history.length && history[0][0] < now - HISTORY_S) history.shift();
  drawHistory(line);
}

/** The history on `line` (the plot's polyline), if it is shown. */
function drawHistory(line) {
  if (!line) return;
  const now = performance.now() / 1000;
  const pts = history.map(([t, lu]) => {
    const xx = W - ((now - t) / HISTORY_S) * W;
    const yy = (Math.min(0, Math.max(LU_MIN, lu)) / LU_MIN) * 120;
    return `${xx.toFixed(1)},${yy.toFixed(1)}`;
  });
  line.setAttribute("points", pts.join(" "));
}
