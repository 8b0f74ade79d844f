// The automation timeline: a strip's lanes drawn against time with the
// playhead moving, the mode each lane plays in, and the span the current
// touch, latch or write pass is writing, drawn as it is written (the
// daemon's `/automation/lanes STRIP FROM TO COLUMNS`, asked ten times a
// second while the transport rolls, and whenever the view moves). The
// ruler locates (click) and sets the loop (drag); Undo takes back the last
// pass or edit. Where a lane's points are far enough apart to pick one,
// they are edited by hand (`/automation/edit`): drag a point, double-click
// (double-tap) the lane to add one, double-click a point to delete it; a
// drag across a lane away from its points picks a stretch (Delete removes
// its points); with the pen on, a drag along a lane draws the stretch it
// crosses.

const NS = "http://www.w3.org/2000/svg";
/** The plot is drawn at the size it shows (one unit a CSS pixel), so its
 * text reads the same on a phone as on a desktop. */
let W = 1000;
/** The ruler's height; a press up to half again below it counts (a
 * finger's 44 px and more). */
const RULER = 32;
/** A lane's height, and the label column's width: on a phone's narrow
 * screen lanes are taller (more travel under a finger) and the labels a
 * little narrower. */
let LANE_H = 72;
let LABEL = 110;
/** Switch lanes step from point to point; the others are lines (the
 * daemon says which, with the lanes the strip can have). */
let stepLanes = new Set(["mute"]);
/** The lanes the strip can have, in the daemon's order. */
let choices = [];

let send = () => {};
let names = () => [];
let panel = null;
let strip = null;
let lanes = [];
/** Seconds at the left edge, and seconds across. */
let from = 0;
let span = 30;
/** The playhead: the last position told (s), when (ms), and rolling. */
const head = { at: 0, told: 0, rolling: false };
let loop = null;
let poll = null;
let frame = null;
/** A point being moved (dragged, or nudged with the arrow keys): its
 * lane, index, where it started and where it is. While one is, or a
 * stroke is drawn, replies wait (the page shows the move). */
let moving = null;
/** The point last picked ({name, t}): the arrow keys move it, Delete
 * removes it. */
let selected = null;
/** A stretch of a lane picked by dragging across it ({name, a, b} in
 * seconds; `picking` while the drag goes on): Delete removes its points. */
let range = null;
/** A nudge is sent this long after the last arrow key (one undo step
 * for a run of them). */
const NUDGE_SETTLE_MS = 400;
/** The pen is on: a drag on a lane draws it. */
let drawing = false;
/** The stroke being drawn: its lane and (seconds, position) samples. */
let stroke = null;
let heldReply = null;
/** A point is a finger's reach wide (CSS px, one viewBox unit each). */
const REACH = 22;
/** Points closer than this (px) are not edited one by one: zoom in. */
const EDIT_SPACING = 6;

function svg(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function el(tag, attrs, parent) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  if (parent) parent.appendChild(e);
  return e;
}

const xOf = (t) => LABEL + ((t - from) / span) * (W - LABEL);
const tOf = (x) => from + ((x - LABEL) / (W - LABEL)) * span;

/** Wire the timeline to the page: its sender, and a function giving the
 * strips as [base, name] pairs in mixer order. */
export function initTimeline(sender, stripNames) {
  send = sender;
  names = stripNames;
}

/** Where the playhead is now (seconds). */
function now() {
  return head.rolling ? head.at + (performance.now() - head.told) / 1000 : head.at;
}

/** The transport as the daemon tells it: position (s) and rolling. */
export function timelineTransport(seconds, rolling) {
  if (seconds !== null) {
    head.at = seconds;
    head.told = performance.now();
  }
  if (rolling !== null && rolling !== head.rolling) {
    head.at = now();
    head.told = performance.now();
    head.rolling = rolling;
    schedulePoll();
  }
}

/** The loop as `/status` tells it (seconds; start < 0 when off). */
export function timelineLoop(start, end) {
  const next = start >= 0 && end > start ? [start, end] : null;
  const moved = JSON.stringify(next) !== JSON.stringify(loop);
  loop = next;
  if (moved) draw();
  const b = document.getElementById("tl-loop");
  if (b) {
    b.classList.toggle("on", !!loop);
    b.setAttribute("aria-pressed", String(!!loop));
  }
}

/** Open the timeline on `base` (or close it with null). */
export function openTimeline(base) {
  if (panel) panel.remove();
  panel = null;
  clearInterval(poll);
  poll = null;
  document.body.classList.toggle("with-timeline", !!base);
  strip = base;
  lanes = [];
  drawing = false;
  stroke = null;
  moving = null;
  selected = null;
  range = null;
  if (!base) return;
  panel = el("section", { id: "timeline", "aria-label": "automation", "data-strip": base });
  const bar = el("header", {}, panel);
  el("h2", { text: "Automation" }, bar);
  const pick = el("select", { id: "tl-strip", "aria-label": "strip" }, bar);
  for (const [b, n] of names()) el("option", { value: b, text: n }, pick).selected = b === base;
  pick.addEventListener("change", () => openTimeline(pick.value));
  const mode = el("select", { id: "tl-mode", "aria-label": "automation mode" }, bar);
  for (const m of ["off", "read", "touch", "latch", "write", "trim"]) el("option", { value: m, text: m }, mode);
  mode.addEventListener("change", () => send(`/${strip}/automation`, mode.value));
  const zoomOut = el("button", { class: "tbtn", "aria-label": "zoom out", text: "\u2212" }, bar);
  const zoomIn = el("button", { class: "tbtn", "aria-label": "zoom in", text: "+" }, bar);
  zoomOut.addEventListener("click", () => zoom(2));
  zoomIn.addEventListener("click", () => zoom(0.5));
  const loopBtn = el("button", { id: "tl-loop", class: "tbtn", "aria-label": "loop", "aria-pressed": "false", text: "\u21bb" }, bar);
  loopBtn.addEventListener("click", () => {
    if (loop) send("/transport/loop");
    else {
      // Loop what is on screen, from the playhead to the right edge.
      const a = Math.max(0, Math.floor(now()));
      send("/transport/loop", a, a + Math.max(1, Math.round(span / 3)));
    }
    setTimeout(() => send("/status"), 50);
  });
  const pen = el("button", { id: "tl-draw", class: "tbtn", "aria-label": "draw on a lane", "aria-pressed": "false", text: "\u270e" }, bar);
  pen.addEventListener("click", () => {
    drawing = !drawing;
    pen.classList.toggle("on", drawing);
    pen.setAttribute("aria-pressed", String(drawing));
    draw();
  });
  const undo = el("button", { id: "tl-undo", class: "tbtn wide", "aria-label": "undo the last pass or edit", text: "Undo" }, bar);
  undo.addEventListener("click", () => {
    send("/automation/undo");
    setTimeout(ask, 50);
  });
  const del = el("button", { id: "tl-delete", class: "tbtn wide", "aria-label": "delete the picked point or stretch", text: "Delete", disabled: "" }, bar);
  del.addEventListener("click", deletePicked);
  const add = el("select", { id: "tl-add", "aria-label": "add a lane" }, bar);
  add.addEventListener("change", () => {
    if (add.value) {
      send("/automation/add_lane", strip, add.value);
      setTimeout(ask, 50);
    }
    add.value = "";
  });
  const close = el("button", { class: "close", "aria-label": "close automation", text: "\u2715" }, bar);
  close.addEventListener("click", () => openTimeline(null));
  const wrap = el("div", { id: "tl-wrap" }, panel);
  const plot = svg("svg", { id: "tl-plot", class: "plot", viewBox: `0 0 ${W} ${RULER + LANE_H}`, role: "img", tabindex: "0", "aria-label": "lanes: pick a point, then the arrow keys move it and Delete removes it" }, wrap);
  wireRuler(plot);
  wireEditing(plot);
  document.body.appendChild(panel);
  const known = window.faderd?.last?.get(`/${base}/automation`);
  if (known) mode.value = known[0];
  choices = [];
  addMenu();
  send("/automation/choices", base);
  ask();
  schedulePoll();
  if (!frame) frame = requestAnimationFrame(drawHead);
}

/** The mode select follows the strip's mode as surfaces change it. */
export function timelineReceive(address, args) {
  if (!strip) return;
  if (address === `/${strip}/automation`) {
    const m = document.getElementById("tl-mode");
    if (m) m.value = args[0];
    ask();
  } else if (address === `/automation/lanes/${strip}`) {
    showLanes(args);
  } else if (address === `/automation/choices/${strip}`) {
    choices = [];
    stepLanes = new Set();
    for (let i = 0; i + 1 < args.length; i += 2) {
      choices.push(args[i]);
      if (args[i + 1] === 1) stepLanes.add(args[i]);
    }
    addMenu();
    draw();
  }
}

/** The view the lanes were last asked for ("from to columns"). */
let asked = "";

/** The lanes, cut by the daemon to what the view draws: the points inside
 * it and at most four a pixel column, however long the lane. */
function ask() {
  if (!strip) return;
  const columns = Math.max(1, Math.round(W - LABEL));
  asked = `${from} ${from + span} ${columns}`;
  send("/automation/lanes", strip, from, from + span, { i: columns });
}

/** Ten times a second while rolling (a pass writes), else once a second
 * (another surface's undo, a mode set elsewhere). */
function schedulePoll() {
  if (!strip) return;
  clearInterval(poll);
  poll = setInterval(ask, head.rolling ? 100 : 1000);
}

function zoom(k) {
  const t = now();
  span = Math.min(600, Math.max(5, span * k));
  from = Math.max(0, t - span / 4);
  draw();
}

/** Click the ruler to locate there; drag along it to set the loop. */
function wireRuler(plot) {
  let down = null;
  const at = (e) => {
    const box = plot.getBoundingClientRect();
    return Math.max(0, tOf(((e.clientX - box.left) / box.width) * W));
  };
  plot.addEventListener("pointerdown", (e) => {
    const [x, y] = plotXY(plot, e);
    if (!rulerTakes(x, y)) return;
    plot.setPointerCapture(e.pointerId);
    down = { t: at(e), x: e.clientX };
  });
  plot.addEventListener("pointerup", (e) => {
    if (!down) return;
    const t = at(e);
    if (Math.abs(e.clientX - down.x) < 6) {
      send("/transport/locate", t);
      head.at = t;
      head.told = performance.now();
    } else {
      const [a, b] = [Math.min(down.t, t), Math.max(down.t, t)];
      send("/transport/loop", a, b);
      setTimeout(() => send("/status"), 50);
    }
    down = null;
  });
  plot.addEventListener("pointercancel", () => (down = null));
}

/** Where a pointer event is in the plot's units. */
function plotXY(plot, e) {
  const box = plot.getBoundingClientRect();
  const h = Number(plot.viewBox.baseVal.height);
  return [((e.clientX - box.left) / box.width) * W, ((e.clientY - box.top) / box.height) * h];
}

/** The plot height of position `v` (0..1) on lane `k`. */
function yOf(k, v) {
  return RULER + k * LANE_H + 6 + (1 - v) * (LANE_H - 12);
}

/** The position (0..1) plot height `y` shows on lane `k`: a switch's is
 * 0 or 1. */
function posAt(k, y) {
  const v = Math.min(1, Math.max(0, 1 - (y - (RULER + k * LANE_H) - 6) / (LANE_H - 12)));
  return stepLanes.has(lanes[k].name) ? (v >= 0.5 ? 1 : 0) : v;
}

/** A press at (x, y) is the ruler's: on it, or up to half its height
 * again below it (a finger's 44 px and more) unless a point of the first
 * lane is within reach there. */
function rulerTakes(x, y) {
  if (y <= RULER) return true;
  if (y > RULER * 1.5) return false;
  return !(lanes.length && !drawing && editable(lanes[0]) && pointNear(0, x, y) >= 0);
}

/** The lane under (x, y) when the press is not the ruler's, and the
 * position `y` shows in it. */
function laneAt(x, y) {
  const k = Math.floor((y - RULER) / LANE_H);
  if (rulerTakes(x, y) || k < 0 || k >= lanes.length) return null;
  return { k, v: posAt(k, y) };
}

/** The lane's points can be edited one by one: nothing is being written
 * and its points in the view are at least EDIT_SPACING apart (so none
 * were left out of the view's reply either). */
function editable(lane) {
  if (lane.writing.length) return false;
  const xs = lane.points.map(([t]) => xOf(t)).filter((x) => x >= LABEL && x <= W);
  return xs.every((x, i) => i === 0 || x - xs[i - 1] >= EDIT_SPACING);
}

/** The point of lane `k` within reach of (x, y), or -1. */
function pointNear(k, x, y) {
  let best = -1;
  let bestD = REACH;
  lanes[k].points.forEach(([t, v], i) => {
    const d = Math.hypot(xOf(t) - x, yOf(k, v) - y);
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

/** Replace lane `name`'s points from `a` to `b` seconds with `pts`; the
 * lanes are asked for again (a reply held meanwhile is older). */
function sendEdit(name, a, b, pts) {
  heldReply = null;
  const blob = new Uint8Array(pts.length * 8);
  const view = new DataView(blob.buffer);
  pts.forEach(([t, v], i) => {
    view.setFloat32(i * 8, t, true);
    view.setFloat32(i * 8 + 4, v, true);
  });
  send("/automation/edit", strip, name, a, b, { b: blob });
  setTimeout(ask, 50);
}

/** Start moving point `i` of lane `k`. */
function startMove(k, i) {
  const [t0, v0] = lanes[k].points[i];
  moving = { k, i, t0, v0, t: t0, v: v0, timer: null };
  selected = { name: lanes[k].name, t: t0 };
}

/** Put the moving point at (t, v): kept between its neighbours (a move
 * does not reorder), a switch's at 0 or 1. */
function moveTo(t, v) {
  const pts = lanes[moving.k].points;
  const prev = pts[moving.i - 1];
  const next = pts[moving.i + 1];
  // (Clear of them by more than f32 seconds resolve: the daemon takes in
  // points that close to an edit's edges.)
  const clear = (t) => Math.max(0.001, Math.abs(t) * 1e-6);
  const lo = prev ? prev[0] + clear(prev[0]) : 0;
  const hi = next ? next[0] - clear(next[0]) : Infinity;
  v = Math.min(1, Math.max(0, v));
  if (stepLanes.has(lanes[moving.k].name)) v = Math.round(v);
  moving.t = Math.min(hi, Math.max(lo, t));
  moving.v = v;
  pts[moving.i] = [moving.t, moving.v];
  selected.t = moving.t;
  draw();
}

/** The move is done: one edit from where the point was to where it is. */
function finishMove() {
  if (!moving) return;
  const m = moving;
  moving = null;
  clearTimeout(m.timer);
  if (m.t !== m.t0 || m.v !== m.v0) {
    sendEdit(lanes[m.k].name, Math.min(m.t0, m.t), Math.max(m.t0, m.t), [[m.t, m.v]]);
  } else releaseHeld();
}

/** Show which point is picked (in place: the handles under a pointer
 * stay the elements they were, so a double-click reaches them). */
function markSelected() {
  const del = document.getElementById("tl-delete");
  if (del) del.disabled = !(range && !range.picking) && !selectedPoint();
  for (const c of document.querySelectorAll("#tl-plot .lane-point")) {
    const picked = !!selected && selected.name === c.dataset.lane && Math.abs(selected.t - Number(c.dataset.t)) < 0.002;
    c.classList.toggle("selected", picked);
    c.setAttribute("r", picked ? 7 : 5);
  }
}

/** The selected point as [lane index, point index], or null. */
function selectedPoint() {
  if (!selected) return null;
  const k = lanes.findIndex((l) => l.name === selected.name);
  if (k < 0 || !editable(lanes[k])) return null;
  const i = lanes[k].points.findIndex(([t]) => Math.abs(t - selected.t) < 0.002);
  return i < 0 ? null : [k, i];
}


/** Drag a point; double-click a lane to add one, a point to delete it;
 * with the pen on, draw. A picked point moves with the arrow keys (Shift:
 * ten times as far) and goes with Delete. */
function wireEditing(plot) {
  plot.addEventListener("pointerdown", (e) => {
    const [x, y] = plotXY(plot, e);
    const at = laneAt(x, y);
    if (!at || x < LABEL) return;
    if (drawing) {
      if (lanes[at.k].writing.length) return;
      e.preventDefault();
      plot.setPointerCapture(e.pointerId);
      stroke = { k: at.k, pts: [[Math.max(0, tOf(x)), at.v]] };
      draw();
      return;
    }
    const i = editable(lanes[at.k]) ? pointNear(at.k, x, y) : -1;
    e.preventDefault();
    plot.focus();
    finishMove();
    plot.setPointerCapture(e.pointerId);
    if (i < 0) {
      // Away from the points: a stretch of the lane, from here.
      const t = Math.max(0, tOf(x));
      selected = null;
      range = { name: lanes[at.k].name, a: t, b: t, picking: true };
      markSelected();
      return;
    }
    const hadRange = !!range;
    range = null;
    startMove(at.k, i);
    moving.dragged = true;
    // (In place when nothing else changes: the handle under the pointer
    // stays the element it was, so a double-click reaches it.)
    if (hadRange) draw();
    else markSelected();
  });
  plot.addEventListener("pointermove", (e) => {
    if (stroke) {
      const [x, y] = plotXY(plot, e);
      stroke.pts.push([Math.max(0, tOf(Math.min(W, Math.max(LABEL, x)))), posAt(stroke.k, y)]);
      draw();
      return;
    }
    if (range && range.picking) {
      const [x] = plotXY(plot, e);
      range.b = Math.max(0, tOf(Math.min(W, Math.max(LABEL, x))));
      draw();
      return;
    }
    if (!moving || !moving.dragged) return;
    const [x, y] = plotXY(plot, e);
    moveTo(tOf(x), posAt(moving.k, y));
  });
  const drop = () => {
    if (stroke) {
      const { k, pts } = stroke;
      stroke = null;
      // One value a pixel column (the last drawn there), in time order:
      // a stroke that doubles back draws over itself.
      const byColumn = new Map();
      for (const [t, v] of pts) byColumn.set(Math.round(xOf(t)), [t, v]);
      const line = [...byColumn.values()].sort((a, b) => a[0] - b[0]);
      if (line.length > 1) sendEdit(lanes[k].name, line[0][0], line[line.length - 1][0], line);
      else releaseHeld();
      draw();
      return;
    }
    if (range && range.picking) {
      range.picking = false;
      // A click, not a drag: nothing picked.
      if (Math.abs(xOf(range.b) - xOf(range.a)) < 4) range = null;
      markSelected();
      if (range) draw();
      releaseHeld();
      return;
    }
    if (moving && moving.dragged) finishMove();
  };
  plot.addEventListener("pointerup", drop);
  plot.addEventListener("pointercancel", drop);
  plot.addEventListener("dblclick", (e) => {
    if (drawing) return;
    const [x, y] = plotXY(plot, e);
    const at = laneAt(x, y);
    if (!at || x < LABEL || !editable(lanes[at.k])) return;
    const name = lanes[at.k].name;
    const i = pointNear(at.k, x, y);
    if (i >= 0) {
      const [t] = lanes[at.k].points[i];
      selected = null;
      sendEdit(name, t, t, []);
    } else {
      const t = Math.max(0, tOf(x));
      selected = { name, t };
      sendEdit(name, t, t, [[t, at.v]]);
    }
  });
  plot.addEventListener("keydown", (e) => {
    const step = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, 0.01], ArrowDown: [0, -0.01] }[e.key];
    const del = e.key === "Delete" || e.key === "Backspace";
    if (!step && !del) return;
    if (del && range && !range.picking) {
      e.preventDefault();
      deletePicked();
      return;
    }
    if (moving && !moving.dragged && del) finishMove();
    const at = moving && !moving.dragged ? [moving.k, moving.i] : selectedPoint();
    if (!at) return;
    e.preventDefault();
    const [k, i] = at;
    if (del) {
      const [t] = lanes[k].points[i];
      selected = null;
      sendEdit(lanes[k].name, t, t, []);
      return;
    }
    if (!moving) startMove(k, i);
    const [dt, dv] = step.map((d) => (e.shiftKey ? d * 10 : d));
    moveTo(moving.t + dt, moving.v + dv);
    clearTimeout(moving.timer);
    moving.timer = setTimeout(finishMove, NUDGE_SETTLE_MS);
  });
}

/** Delete what is picked: a stretch's points, or a point. */
function deletePicked() {
  finishMove();
  if (range && !range.picking) {
    const [a, b] = [Math.min(range.a, range.b), Math.max(range.a, range.b)];
    const name = range.name;
    range = null;
    sendEdit(name, a, b, []);
    draw();
    return;
  }
  const at = selectedPoint();
  if (!at) return;
  const [k, i] = at;
  const [t] = lanes[k].points[i];
  selected = null;
  sendEdit(lanes[k].name, t, t, []);
}

/** Show the reply that came during a drag or a stroke. */
function releaseHeld() {
  if (!heldReply) return;
  const r = heldReply;
  heldReply = null;
  showLanes(r);
}

/** Decode `/automation/lanes/STRIP`: per lane name, mode, whether the
 * mode is its own, points, writing. */
function showLanes(args) {
  if (moving || stroke || (range && range.picking)) {
    heldReply = args;
    return;
  }
  const pairs = (blob) => {
    const out = [];
    for (let i = 0; i + 8 <= blob.byteLength; i += 8) {
      out.push([blob.getFloat32(i, true), blob.getFloat32(i + 4, true)]);
    }
    return out;
  };
  lanes = [];
  for (let i = 0; i + 4 < args.length; i += 5) {
    lanes.push({
      name: args[i],
      mode: args[i + 1],
      own: args[i + 2] === 1,
      points: pairs(args[i + 3]),
      writing: pairs(args[i + 4]),
    });
  }
  addMenu();
  draw();
}

/** The add-a-lane menu: the lanes the strip can have that are not shown. */
function addMenu() {
  const add = document.getElementById("tl-add");
  if (!add) return;
  const shown = new Set(lanes.map((l) => l.name));
  const want = choices.filter((c) => !shown.has(c));
  const now = [...add.options].slice(1).map((o) => o.value);
  if (add.options.length && JSON.stringify(now) === JSON.stringify(want)) return;
  add.replaceChildren();
  el("option", { value: "", text: "+ lane" }, add);
  for (const c of want) el("option", { value: c, text: c }, add);
  add.disabled = want.length === 0;
}

/** A lane's line from `pts` (the view's, and the one either side): flat
 * before the first point and after the last, steps for switches. Drawn
 * clipped to the plot, so a line from a point outside the view enters it
 * at its true height. */
function line(pts, step, top, extend) {
  if (!pts.length) return "";
  const y = (v) => (top + 6 + (1 - v) * (LANE_H - 12)).toFixed(1);
  const x = (t) => xOf(t).toFixed(1);
  const out = [];
  if (extend) out.push(`${Math.min(LABEL, xOf(pts[0][0])).toFixed(1)},${y(pts[0][1])}`);
  let prev = null;
  for (const [t, v] of pts) {
    if (step && prev !== null) out.push(`${x(t)},${y(prev)}`);
    out.push(`${x(t)},${y(v)}`);
    prev = v;
  }
  const [lastT, lastV] = pts[pts.length - 1];
  if (extend) out.push(`${Math.max(W, xOf(lastT)).toFixed(1)},${y(lastV)}`);
  return out.join(" ");
}

function draw() {
  const plot = document.getElementById("tl-plot");
  if (!plot) return;
  W = Math.max(320, Math.round(plot.getBoundingClientRect().width) || 1000);
  const narrow = W < 600;
  LABEL = narrow ? 106 : 118;
  LANE_H = narrow ? 112 : 72;
  const h = RULER + Math.max(1, lanes.length) * LANE_H;
  plot.setAttribute("viewBox", `0 0 ${W} ${h}`);
  plot.dataset.from = String(from);
  plot.dataset.span = String(span);
  plot.dataset.label = String(LABEL);
  plot.dataset.width = String(W);
  plot.replaceChildren();
  // Paged, zoomed or resized: the new view's points.
  if (asked !== `${from} ${from + span} ${Math.max(1, Math.round(W - LABEL))}`) ask();
  if (loop) {
    svg("rect", { id: "tl-loop-span", x: xOf(loop[0]), y: 0, width: Math.max(0, xOf(loop[1]) - xOf(loop[0])), height: h, class: "loop" }, plot);
  }
  const clip = svg("clipPath", { id: "tl-clip" }, plot);
  svg("rect", { x: LABEL, y: 0, width: W - LABEL, height: h }, clip);
  svg("rect", { x: 0, y: 0, width: W, height: RULER, class: "ruler" }, plot);
  const step = span <= 10 ? 1 : span <= 30 ? 5 : span <= 120 ? 10 : 60;
  for (let t = Math.ceil(from / step) * step; t <= from + span; t += step) {
    svg("line", { x1: xOf(t), x2: xOf(t), y1: RULER - 10, y2: h, class: "grid" }, plot);
    const label = svg("text", { x: xOf(t) + 3, y: RULER - 12, class: "axis" }, plot);
    const m = Math.floor(t / 60);
    label.textContent = `${m}:${String(Math.round(t - m * 60)).padStart(2, "0")}`;
  }
  lanes.forEach((lane, k) => {
    const top = RULER + k * LANE_H;
    const g = svg("g", { class: "lane", "data-lane": lane.name, "data-mode": lane.mode, "data-points": lane.points.length, "data-writing": lane.writing.length }, plot);
    svg("line", { x1: 0, x2: W, y1: top + LANE_H, y2: top + LANE_H, class: "grid" }, g);
    const name = svg("text", { x: 6, y: top + 18, class: "lane-name" }, g);
    name.textContent = lane.name;
    const stepped = stepLanes.has(lane.name);
    svg("polyline", { class: "lane-line", "clip-path": "url(#tl-clip)", points: line(lane.points, stepped, top, true), "data-raw": JSON.stringify(lane.points) }, g);
    if (lane.writing.length) svg("polyline", { class: "lane-writing", "clip-path": "url(#tl-clip)", points: line(lane.writing, stepped, top, false) }, g);
    if (range && range.name === lane.name) {
      const [a, b] = [xOf(Math.min(range.a, range.b)), xOf(Math.max(range.a, range.b))];
      svg("rect", { class: "lane-range", "clip-path": "url(#tl-clip)", x: a.toFixed(1), y: top, width: Math.max(0, b - a).toFixed(1), height: LANE_H }, g);
    }
    if (stroke && stroke.k === k && stroke.pts.length > 1) {
      const sorted = [...stroke.pts].sort((a, b) => a[0] - b[0]);
      svg("polyline", { class: "lane-stroke", "clip-path": "url(#tl-clip)", points: line(sorted, stepped, top, false) }, g);
    }
    if (editable(lane) && !drawing) {
      g.classList.add("editable");
      for (const [t, v] of lane.points) {
        const x = xOf(t);
        if (x < LABEL || x > W) continue;
        svg("circle", { class: "lane-point", cx: x.toFixed(1), cy: yOf(k, v).toFixed(1), r: 5, "data-lane": lane.name, "data-t": t }, g);
      }
    }
  });
  svg("line", { id: "tl-head", x1: 0, x2: 0, y1: 0, y2: h, class: "playhead" }, plot);
  markSelected();
  lanePickers();
  placeHead();
}

/** Over each lane's label, a menu of its own mode ("strip": the strip's). */
function lanePickers() {
  const wrap = document.getElementById("tl-wrap");
  if (!wrap) return;
  for (const old of wrap.querySelectorAll(".lane-pick")) old.remove();
  const scale = (wrap.getBoundingClientRect().width || W) / W;
  lanes.forEach((lane, k) => {
    const pick = el("select", { class: "lane-pick", "aria-label": `${lane.name} mode`, "data-lane": lane.name }, wrap);
    for (const m of ["strip", "off", "read", "touch", "latch", "write", "trim"]) {
      el("option", { value: m, text: m === "strip" ? `${lane.mode} (strip)` : m }, pick);
    }
    pick.value = lane.own ? lane.mode : "strip";
    pick.className = `lane-pick mode-${lane.mode}`;
    pick.style.top = `${6 + (RULER + k * LANE_H + 24) * scale}px`;
    pick.style.width = `${(LABEL - 8) * scale}px`;
    pick.addEventListener("change", () => {
      send("/automation/lane_mode", strip, lane.name, pick.value);
      setTimeout(ask, 50);
    });
  });
}

function placeHead() {
  const line = document.getElementById("tl-head");
  if (!line) return;
  const t = now();
  // The view pages along with the playhead.
  if (t > from + span * 0.95 || t < from) {
    from = Math.max(0, t - span * 0.05);
    draw();
    return;
  }
  const x = xOf(t).toFixed(1);
  line.setAttribute("x1", x);
  line.setAttribute("x2", x);
  line.dataset.seconds = t.toFixed(2);
}

window.addEventListener("resize", () => draw());

function drawHead() {
  frame = null;
  if (!panel) return;
  placeHead();
  frame = requestAnimationFrame(drawHead);
}
