// The soak: many datagrams through receiveMsg and messages(), each carrying its sequence number and a
// checksum, paced by a window so that the socket buffer never overflows: any loss, corruption or
// reordering is then a bug. Handles, RSS and heap are measured before and after; then open/receive/
// close cycles with receives pending at close; and the same count again through the allocation-free loop
// (caller buffers, reused messages and batches), whose heap must stay within 1 MB. Used by `npm run soak`
// and, shorter, by the test suite.
import { readdirSync } from "node:fs";
import process from "node:process";
import { readAheadStats } from "../ffi/posix/read_ahead.ts";
import { winsockStats } from "../ffi/winsock/winsock.ts";
import { type DatagramMessage, listenDatagram } from "../mod.ts";

/** What a soak measured, and whether it passed. */
export interface SoakResult {
  datagrams: number;
  lost: number;
  corrupted: number;
  reordered: number;
  seconds: number;
  handles: { before: number; after: number };
  rssMB: { before: number; after: number };
  heapMB: { before: number; after: number };
  cycles: number;
  cycleHandles: { before: number; after: number };
  /** The allocation-free loop: tryReceiveMsg and tryReceiveMsgs(64) with a caller buffer and `reuse`. */
  reuse: {
    datagrams: number;
    lost: number;
    corrupted: number;
    reordered: number;
    seconds: number;
    heapMB: { before: number; after: number };
    rssMB: { before: number; after: number };
  };
  /** Arenas: sockets that each held datagrams read ahead, then closed and collected (see arenaPhase). */
  arenas: ArenaResult;
  failures: string[];
}

/** What the arena phase measured: RSS before, while every socket held datagrams read ahead, and after. */
export interface ArenaResult {
  sockets: number;
  rssMB: { before: number; held: number; after: number };
  /** Read-ahead arenas that exist (mapped) after the sockets closed: at most the small pool. */
  arenasAfter: number;
}

const onWindows = (globalThis as { Deno?: { build: { os: string } } }).Deno?.build.os === "windows" ||
  process.platform === "win32";

/** Open handles as the system counts them (see tests/runtime/memory.test.ts for why Wine is counted by fd). */
export function openHandles(): number {
  if (!onWindows) return readdirSync("/proc/self/fd").length;
  const h = winsockStats().handles;
  return h ?? readdirSync("Z:\\proc\\self\\fd").length;
}

function collect(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(sync: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

/** FNV-1a over `bytes[0, end)`. */
function fnv1a(bytes: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

/** Writes datagram `seq` into `buf` (16 to 271 bytes): seq, length, pattern, checksum of all before it. */
function fill(buf: Uint8Array, seq: number): Uint8Array {
  const len = 16 + (seq % 256);
  const v = new DataView(buf.buffer, buf.byteOffset);
  v.setUint32(0, seq, true);
  v.setUint32(4, len, true);
  for (let i = 8; i < len - 4; i++) buf[i] = (seq + i * 7) & 0xff;
  v.setUint32(len - 4, fnv1a(buf, len - 4), true);
  return buf.subarray(0, len);
}

/** Checks one received datagram: the checksum, and the sequence number against the one expected. */
function check(data: Uint8Array, expected: number, r: SoakResult): number {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (
    data.length < 16 || v.getUint32(4, true) !== data.length ||
    v.getUint32(data.length - 4, true) !== fnv1a(data, data.length - 4)
  ) {
    r.corrupted++;
    return expected + 1;
  }
  const seq = v.getUint32(0, true);
  if (seq > expected) r.lost += seq - expected;
  else if (seq < expected) r.reordered++;
  return seq + 1;
}

/** Runs the soak. `count` datagrams (half by receiveMsg, half by messages()), then `cycles` open/close cycles. */
export async function runSoak(count: number, cycles: number, window = 256, arenaSockets = 0): Promise<SoakResult> {
  const r: SoakResult = {
    datagrams: count,
    lost: 0,
    corrupted: 0,
    reordered: 0,
    seconds: 0,
    handles: { before: 0, after: 0 },
    rssMB: { before: 0, after: 0 },
    heapMB: { before: 0, after: 0 },
    cycles,
    cycleHandles: { before: 0, after: 0 },
    reuse: {
      datagrams: count,
      lost: 0,
      corrupted: 0,
      reordered: 0,
      seconds: 0,
      heapMB: { before: 0, after: 0 },
      rssMB: { before: 0, after: 0 },
    },
    arenas: { sockets: 0, rssMB: { before: 0, held: 0, after: 0 }, arenasAfter: 0 },
    failures: [],
  };
  // Warm up, so that the libraries, Winsock's own handles and the waiting machinery (a poller
  // thread on Bun and Node, started by the first receive that waits) are counted in the baseline.
  {
    const warm = listenDatagram({ hostname: "127.0.0.1" });
    const waiting = warm.receiveMsg({ signal: AbortSignal.timeout(5000) });
    await new Promise((t) => setTimeout(t, 20));
    warm.trySendMsg(new Uint8Array(1), warm.addr);
    await waiting;
    warm.close();
  }
  await new Promise((t) => setTimeout(t, 200));
  collect();
  r.handles.before = openHandles();
  r.rssMB.before = mb(process.memoryUsage().rss);
  r.heapMB.before = mb(process.memoryUsage().heapUsed);

  const rx = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 4 << 20 });
  const tx = listenDatagram({ hostname: "127.0.0.1", packetInfo: false });
  const t0 = performance.now();
  let received = 0;
  let expected = 0;
  const sendBuf = new Uint8Array(512);
  const sender = (async () => {
    for (let seq = 0; seq < count; seq++) {
      // The window: never more than `window` datagrams in flight.
      while (seq - received >= window) await new Promise((t) => setTimeout(t, 0));
      let sent = tx.trySendMsg(fill(sendBuf, seq), rx.addr);
      while (sent === null) {
        await new Promise((t) => setTimeout(t, 1));
        sent = tx.trySendMsg(fill(sendBuf, seq), rx.addr);
      }
    }
  })();
  const half = Math.floor(count / 2);
  const buffer = new Uint8Array(2048);
  // One watchdog for the whole run (a signal per receive would itself hold memory for its time-out):
  // it aborts the pending receive when no datagram came for 10 s.
  const watchdog = new AbortController();
  let progress = 0;
  const tick = setInterval(() => {
    if (received === progress) watchdog.abort(new Error("no datagram for 10 s"));
    progress = received;
  }, 10_000);
  const signal = watchdog.signal;
  try {
    while (received < half) {
      expected = check((await rx.receiveMsg({ buffer, signal })).data, expected, r);
      received++;
    }
    if (received < count) {
      for await (const m of rx.messages({ buffer, signal })) {
        expected = check(m.data, expected, r);
        if (++received === count) break;
      }
    }
  } catch (e) {
    r.failures.push(`stopped after ${received} datagrams: ${(e as Error).message}`);
    r.lost += count - received;
  }
  clearInterval(tick);
  await sender.catch((e) => r.failures.push(`sender: ${(e as Error).message}`));
  r.seconds = (performance.now() - t0) / 1000;
  rx.close();
  tx.close();

  await new Promise((t) => setTimeout(t, 300));
  collect();
  r.handles.after = openHandles();
  r.rssMB.after = mb(process.memoryUsage().rss);
  r.heapMB.after = mb(process.memoryUsage().heapUsed);

  await reusePhase(count, window, r);
  // Windows has no read-ahead (one WSARecvMsg per datagram): no arenas to measure there. RSS is compared
  // across the phase, so it runs where the process did little else before (npm run soak), not in a suite.
  if (!onWindows && arenaSockets > 0) r.arenas = await arenaPhase(arenaSockets);

  r.cycleHandles.before = openHandles();
  for (let i = 0; i < cycles; i++) {
    const c = listenDatagram({ hostname: i % 2 ? "::1" : "127.0.0.1" });
    const pending = c.receiveMsg();
    c.close();
    await pending.catch(() => {});
    // A server's event loop turns between such events; so does this loop (see memory.test.ts).
    if (i % 4 === 3) await new Promise((t) => setTimeout(t, 0));
  }
  await new Promise((t) => setTimeout(t, 300));
  r.cycleHandles.after = openHandles();
  // Wine's thread pool keeps idle threads (3 fds each) for 5 s; count again after it trims them.
  if (r.cycleHandles.after > r.cycleHandles.before + 12) {
    await new Promise((t) => setTimeout(t, 6000));
    r.cycleHandles.after = openHandles();
  }

  if (r.lost) r.failures.push(`${r.lost} datagrams lost`);
  if (r.corrupted) r.failures.push(`${r.corrupted} datagrams corrupted`);
  if (r.reordered) r.failures.push(`${r.reordered} datagrams out of order`);
  // Slack for thread-pool threads the system keeps (3 fds each under Wine).
  if (r.handles.after > r.handles.before + 12) {
    r.failures.push(`handles ${r.handles.before} -> ${r.handles.after} after close`);
  }
  if (r.cycleHandles.after > r.cycleHandles.before + 12) {
    r.failures.push(`handles ${r.cycleHandles.before} -> ${r.cycleHandles.after} after ${cycles} cycles`);
  }
  if (r.rssMB.after - r.rssMB.before > 20) {
    r.failures.push(`RSS grew ${(r.rssMB.after - r.rssMB.before).toFixed(1)} MB`);
  }
  const a = r.arenas;
  if (a.sockets > 0 && a.rssMB.after - a.rssMB.before > ARENA_RSS_BOUND_MB) {
    r.failures.push(
      `arenas: RSS ${a.rssMB.before} -> ${a.rssMB.held} -> ${a.rssMB.after} MB after ${a.sockets} sockets held datagrams ` +
        `read ahead and closed (bound +${ARENA_RSS_BOUND_MB} MB); ${a.arenasAfter} arenas left`,
    );
  }
  const u = r.reuse;
  if (u.lost || u.corrupted || u.reordered) {
    r.failures.push(`reuse loop: lost ${u.lost}, corrupted ${u.corrupted}, out of order ${u.reordered}`);
  }
  if (u.heapMB.after - u.heapMB.before > REUSE_HEAP_BOUND_MB) {
    r.failures.push(
      `reuse loop: heap grew ${
        (u.heapMB.after - u.heapMB.before).toFixed(1)
      } MB over ${count} datagrams (bound ${REUSE_HEAP_BOUND_MB} MB)`,
    );
  }
  return r;
}

/** The most the heap may grow over the whole reuse loop, however many datagrams it receives. */
const REUSE_HEAP_BOUND_MB = 1;

/**
 * `count` datagrams received the allocation-free way: alternately by tryReceiveMsg with one reused
 * message and by tryReceiveMsgs(64) with one reused array, into caller buffers; waiting (receiveMsg)
 * only when nothing is queued. Every datagram is checked; the heap is measured after a collection
 * before and after.
 */
async function reusePhase(count: number, window: number, r: SoakResult): Promise<void> {
  const u = r.reuse;
  const rx = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 4 << 20 });
  const tx = listenDatagram({ hostname: "127.0.0.1", packetInfo: false });
  const sendBuf = new Uint8Array(512);
  const one = { buffer: new Uint8Array(2048), reuse: null as DatagramMessage | null };
  const many = { buffer: new Uint8Array(64 * 512), reuse: null as DatagramMessage[] | null };
  let received = 0;
  let expected = 0;
  const take = (data: Uint8Array) => {
    const before = { lost: r.lost, corrupted: r.corrupted, reordered: r.reordered };
    expected = check(data, expected, r);
    u.lost += r.lost - before.lost;
    u.corrupted += r.corrupted - before.corrupted;
    u.reordered += r.reordered - before.reordered;
    r.lost = before.lost;
    r.corrupted = before.corrupted;
    r.reordered = before.reordered;
    received++;
  };
  await new Promise((t) => setTimeout(t, 100));
  collect();
  u.heapMB.before = mb(process.memoryUsage().heapUsed);
  u.rssMB.before = mb(process.memoryUsage().rss);
  const t0 = performance.now();
  const sender = (async () => {
    for (let seq = 0; seq < count; seq++) {
      while (seq - received >= window) await new Promise((t) => setTimeout(t, 0));
      while (tx.trySendMsg(fill(sendBuf, seq), rx.addr) === null) await new Promise((t) => setTimeout(t, 1));
    }
  })();
  // One watchdog, as in the main phase: a time-out signal per wait would hold memory for its 10 s.
  const watchdog = new AbortController();
  let progress = -1;
  const tick = setInterval(() => {
    if (received === progress) watchdog.abort(new Error("no datagram for 10 s"));
    progress = received;
  }, 10_000);
  const waitOptions = { buffer: one.buffer, reuse: null as DatagramMessage | null, signal: watchdog.signal };
  try {
    let round = 0;
    while (received < count) {
      // Alternate the two ways by rounds of queued datagrams.
      if (round++ & 1) {
        for (let b = rx.tryReceiveMsgs(64, many); b.length > 0; b = rx.tryReceiveMsgs(64, many)) {
          many.reuse = b;
          for (const m of b) take(m.data);
        }
      } else {
        for (let m = rx.tryReceiveMsg(one); m !== null; m = rx.tryReceiveMsg(one)) {
          one.reuse = m;
          take(m.data);
        }
      }
      if (received >= count) break;
      waitOptions.reuse = one.reuse;
      const m = await rx.receiveMsg(waitOptions);
      one.reuse = m;
      take(m.data);
    }
  } catch (e) {
    r.failures.push(`reuse loop stopped after ${received} datagrams: ${(e as Error).message}`);
    u.lost += count - received;
  }
  clearInterval(tick);
  await sender.catch((e) => r.failures.push(`reuse sender: ${(e as Error).message}`));
  u.seconds = (performance.now() - t0) / 1000;
  rx.close();
  tx.close();
  await new Promise((t) => setTimeout(t, 300));
  collect();
  u.heapMB.after = mb(process.memoryUsage().heapUsed);
  u.rssMB.after = mb(process.memoryUsage().rss);
}

/** How far above its start RSS may stay after the arena phase's sockets are closed and collected. */
const ARENA_RSS_BOUND_MB = 10;
/** Datagrams each socket is sent: each lands in its own 64 KiB slot, so each touches at least a page of its arena. */
const ARENA_DATAGRAMS = 32;

/**
 * `sockets` sockets each get datagrams and receive one, so that each holds the rest read ahead (Linux:
 * one arena each); then they close and a collection runs. RSS is measured before, while they hold their
 * arenas, and after: it must come back near where it started (arenas beyond a small pool are unmapped).
 * A first round without read-ahead (`readAhead: 0`, the same sockets and datagrams) brings the runtime's
 * own heaps to where so many sockets take them, so what the measured round leaves is the arenas'.
 * On Windows (no read-ahead) both rounds measure the sockets alone.
 */
export async function arenaPhase(sockets: number): Promise<ArenaResult> {
  await arenaRound(sockets, 0);
  return arenaRound(sockets, undefined);
}

async function arenaRound(sockets: number, readAhead: number | undefined): Promise<ArenaResult> {
  await new Promise((t) => setTimeout(t, 100));
  collect();
  const rss = () => mb(process.memoryUsage().rss);
  const out: ArenaResult = { sockets, rssMB: { before: rss(), held: 0, after: 0 }, arenasAfter: 0 };
  const tx = listenDatagram({ hostname: "127.0.0.1", packetInfo: false });
  const payload = new Uint8Array(1000).fill(7);
  const all = Array.from({ length: sockets }, () => listenDatagram({ hostname: "127.0.0.1", readAhead }));
  try {
    for (const rx of all) {
      const messages = Array.from({ length: ARENA_DATAGRAMS }, () => ({ data: payload, remoteAddr: rx.addr }));
      tx.trySendMsgs(messages);
      await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
    }
    out.rssMB.held = rss();
  } finally {
    for (const rx of all) rx.close();
    tx.close();
  }
  all.length = 0;
  await new Promise((t) => setTimeout(t, 300));
  collect();
  await new Promise((t) => setTimeout(t, 100));
  collect();
  out.rssMB.after = rss();
  out.arenasAfter = readAheadStats().arenas;
  return out;
}
