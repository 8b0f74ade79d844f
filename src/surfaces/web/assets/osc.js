// OSC 1.0 packets as the console's WebSocket carries them: messages with
// int32 (i), float32 (f), string (s) and blob (b) arguments, and bundles
// (nested), read and written on ArrayBuffers. The same packets the UDP
// surface speaks.

const enc = new TextEncoder();
const dec = new TextDecoder();

function padded(n) {
  return (n + 4) & ~3;
}

function pushString(parts, s) {
  const bytes = enc.encode(s);
  const out = new Uint8Array(padded(bytes.length));
  out.set(bytes);
  parts.push(out);
}

/** One message: `address` with `args`, each a number (float unless given
 * as {i: n}), a string, or {f: x} / {i: n} / {s: text} / {b: Uint8Array}. */
export function message(address, ...args) {
  const parts = [];
  pushString(parts, address);
  let tags = ",";
  const data = [];
  for (const a of args) {
    if (typeof a === "string" || (a && typeof a.s === "string")) {
      tags += "s";
      pushString(data, typeof a === "string" ? a : a.s);
    } else if (a && a.b instanceof Uint8Array) {
      tags += "b";
      const b = new Uint8Array(4 + ((a.b.length + 3) & ~3));
      new DataView(b.buffer).setInt32(0, a.b.length);
      b.set(a.b, 4);
      data.push(b);
    } else if (a && typeof a.i === "number") {
      tags += "i";
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, a.i);
      data.push(b);
    } else {
      tags += "f";
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, a && typeof a.f === "number" ? a.f : a);
      data.push(b);
    }
  }
  pushString(parts, tags);
  const all = parts.concat(data);
  const len = all.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out.buffer;
}

function readString(view, at) {
  let end = at;
  while (end < view.byteLength && view.getUint8(end) !== 0) end++;
  if (end >= view.byteLength) throw new Error("unterminated string");
  const s = dec.decode(new Uint8Array(view.buffer, view.byteOffset + at, end - at));
  return [s, padded(end - at) + at];
}

/** Every message in `buffer` (a message or a bundle), as [address, args]. */
export function decode(buffer) {
  const out = [];
  walk(new DataView(buffer), out);
  return out;
}

function walk(view, out) {
  const [head, afterHead] = readString(view, 0);
  if (head === "#bundle") {
    let at = afterHead + 8;
    while (at + 4 <= view.byteLength) {
      const size = view.getInt32(at);
      at += 4;
      if (size < 0 || at + size > view.byteLength) throw new Error("bad bundle element");
      walk(new DataView(view.buffer, view.byteOffset + at, size), out);
      at += size;
    }
    return;
  }
  let at = afterHead;
  let tags = ",";
  if (at < view.byteLength) [tags, at] = readString(view, at);
  const args = [];
  for (const t of tags.slice(1)) {
    if (t === "f") {
      args.push(view.getFloat32(at));
      at += 4;
    } else if (t === "i") {
      args.push(view.getInt32(at));
      at += 4;
    } else if (t === "s") {
      let s;
      [s, at] = readString(view, at);
      args.push(s);
    } else if (t === "b") {
      const size = view.getInt32(at);
      at += 4;
      if (size < 0 || at + size > view.byteLength) throw new Error("bad blob");
      args.push(new DataView(view.buffer, view.byteOffset + at, size));
      at += padded(size - 1);
    } else if (t === "d") {
      args.push(view.getFloat64(at));
      at += 8;
    } else if (t === "h") {
      args.push(Number(view.getBigInt64(at)));
      at += 8;
    } else if (t === "t") {
      args.push(view.getBigUint64(at));
      at += 8;
    } else if (t === "N" || t === "I") {
      args.push(null);
    } else if (t === "T") {
      args.push(true);
    } else if (t === "F") {
      args.push(false);
    } else {
      throw new Error("unknown type tag " + t);
    }
  }
  out.push([head, args]);
}
