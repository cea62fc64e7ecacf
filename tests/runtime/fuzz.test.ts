// The adversary's tests, kept: every public call fed arbitrary values (wrong types, NaN, ±Infinity,
// huge and negative numbers, odd strings, detached, resizable and shared buffers, odd offsets). Each
// call must either work, or throw a TypeError/RangeError whose message names the argument, or a
// SocketError with a name — never another error, a hang, or a write outside the caller's view.
// Datagrams go only to loopback: any address a generator makes that is not loopback is replaced.
import assert from "node:assert/strict";
// @ts-types="../../node_modules/fast-check/lib/types/fast-check.d.ts"
import fc from "../../node_modules/fast-check/lib/fast-check.js";
import { hostName } from "../../connection/resolve.ts";
import { type DatagramConn, listenDatagram, SocketError, splitSegments, wrapSocket } from "../../mod.ts";
import { parseIPv4, parseIPv6 } from "../../structs/ip.ts";
import { runtime, test, underWine } from "./harness.ts";

const RUNS = underWine ? 60 : 300;
const PARAMS =
  /\b(hostname|port|data|remoteAddr|options|buffer|peek|flags|signal|controlSize|reuse|count|localAddr|interfaceIndex|hopLimit|handle|family|ipv6Only|packetInfo|ecn|reuseAddress|reportUnreachable|broadcast|coalesce|receiveBufferSize|message|segmentSize|readAhead)\b/;

/** Values made inside the property (a detached buffer cannot be printed by fast-check's report). */
const LATE = Symbol("late");
type Late = { [LATE]: () => unknown; toString(): string };
const late = (name: string, make: () => unknown): Late => ({ [LATE]: make, toString: () => name });
/** Replaces made-late values, at the top and one level into objects. */
function real(v: unknown): unknown {
  if (typeof v === "object" && v !== null && LATE in v) return (v as Late)[LATE]();
  if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(v).map((
        [k, x],
      ) => [k, typeof x === "object" && x !== null && LATE in x ? (x as Late)[LATE]() : x]),
    );
  }
  return v;
}

/** A buffer the call may be given: plain, at an odd offset, tiny, detached, resizable, shared. */
const buffers = fc.oneof(
  fc.integer({ min: 0, max: 2048 }).map((n) => new Uint8Array(n)),
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 600 })).map(([off, n]) =>
    new Uint8Array(new ArrayBuffer(off + n + 8), off, n)
  ),
  fc.constant(late("detached Uint8Array", () => {
    const b = new Uint8Array(256);
    structuredClone(b.buffer, { transfer: [b.buffer] });
    return b;
  })),
  fc.constant(
    late("resizable", () =>
      new Uint8Array(
        new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(128, { maxByteLength: 4096 }),
      )),
  ),
  fc.constant(late("shared", () => new Uint8Array(new SharedArrayBuffer(512)))),
  fc.constant(late("Uint16Array", () => new Uint16Array(8))),
  fc.constant(late("DataView", () => new DataView(new ArrayBuffer(16)))),
);
const numbers = fc.oneof(
  fc.constantFrom(
    NaN,
    Infinity,
    -Infinity,
    -1,
    0,
    1,
    2,
    2 ** 31,
    2 ** 32,
    2 ** 32 + 2,
    2 ** 40,
    2 ** 53,
    -(2 ** 53),
    0.5,
    65535,
    65536,
    1024,
    1025,
  ),
  fc.integer(),
  fc.double(),
);
const strings = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "",
    "::",
    "0.0.0.0",
    "127.0.0.1",
    "::1",
    "[::1]",
    "localhost",
    "fe80::1%999999",
    "::ffff:1.2.3.4%3",
    "1.2.3",
    "256.1.1.1",
    "\u0000",
    "%",
    "::ffff:127.0.0.1",
  ),
);
const anything = fc.oneof(
  fc.anything(),
  numbers,
  strings,
  buffers,
  fc.bigInt(),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(Symbol("s")),
);

/** Keeps traffic on loopback: an address that parses and is not loopback becomes 127.0.0.1. */
function loopbackOnly(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const h = v.startsWith("[") && v.endsWith("]") ? v.slice(1, -1) : v;
  const v4 = parseIPv4(h);
  if (v4) return v4[0] === 127 ? v : "127.0.0.1";
  const v6 = parseIPv6(h);
  if (v6) {
    const loop = v6.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
    const mappedLoop = v6.bytes[10] === 0xff && v6.bytes[11] === 0xff && v6.bytes[12] === 127 &&
      v6.bytes.slice(0, 10).every((b) => b === 0);
    return loop || mappedLoop ? v : "::1";
  }
  // A name would be looked up by listenDatagram, and one the hosts file does not answer (any name for
  // IPv6 here, where /etc/hosts has no ::1 localhost) would ask a DNS server: tests/runtime/names.test.ts
  // looks names up where that cannot leave the machine.
  return hostName(v) ? "127.0.0.1" : v;
}
const options = (keys: string[]) =>
  fc.oneof(anything, fc.dictionary(fc.constantFrom(...keys), anything, { maxKeys: 4 }));
const address = fc.oneof(
  anything,
  fc.record({ hostname: strings, port: fc.oneof(numbers, anything) }, { requiredKeys: [] }),
);
const safeAddress = (
  a: unknown,
) => (typeof a === "object" && a !== null && "hostname" in a
  ? { ...a, hostname: loopbackOnly((a as { hostname: unknown }).hostname) }
  : a);

/** Runs one call; what it throws must be one of the allowed errors. Returns what it returned. */
function allowed(what: string, fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    check(what, e);
    return undefined;
  }
}
function check(what: string, e: unknown): void {
  if (e instanceof SocketError) {
    assert.match(e.code, /^(WSA|E)[A-Z_0-9]+$/, `${what}: a SocketError with a name, got ${e.code}`);
    assert.doesNotMatch(e.code, /^ERRNO_/, `${what}: an errno the tables know`);
    return;
  }
  if (e instanceof TypeError || e instanceof RangeError) {
    assert.match(e.message, PARAMS, `${what}: "${e.message}" names its argument`);
    return;
  }
  // An aborted receive rejects with the signal's reason, which a caller chose: fine.
  if (e instanceof DOMException && (e.name === "AbortError" || e.name === "TimeoutError")) return;
  assert.fail(`${what}: unexpected ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
}
async function settles(what: string, p: unknown, conn: DatagramConn): Promise<void> {
  if (!(p instanceof Promise)) return;
  // A receive may wait forever by design: close the socket, and it must settle with SocketClosedError.
  const timer = setTimeout(() => conn.close(), 50);
  try {
    await p;
  } catch (e) {
    check(what, e);
  } finally {
    clearTimeout(timer);
  }
}

/** Canary bytes around every view the call receives into: nothing outside the view may change. */
function guarded(n: number): { view: Uint8Array; intact(): boolean } {
  const whole = new Uint8Array(n + 64);
  whole.fill(0xa5);
  const view = whole.subarray(32, 32 + n);
  view.fill(0);
  return {
    view,
    intact: () => whole.subarray(0, 32).every((b) => b === 0xa5) && whole.subarray(32 + n).every((b) => b === 0xa5),
  };
}

test(`fuzz (${runtime}): listenDatagram and wrapSocket with arbitrary options`, () => {
  fc.assert(
    fc.property(
      options([
        "hostname",
        "port",
        "ipv6Only",
        "packetInfo",
        "hopLimit",
        "ecn",
        "reuseAddress",
        "reportUnreachable",
        "broadcast",
        "coalesce",
        "receiveBufferSize",
        "readAhead",
      ]),
      (o0) => {
        const o = real(o0);
        const safe = typeof o === "object" && o !== null && "hostname" in o
          ? { ...o, hostname: loopbackOnly((o as { hostname: unknown }).hostname) }
          : o;
        const conn = allowed("listenDatagram", () => listenDatagram(safe as never)) as DatagramConn | undefined;
        conn?.close();
      },
    ),
    { numRuns: RUNS },
  );
  // Handles: only values that cannot name a live fd or SOCKET of this process (adopting one would close it).
  fc.assert(
    fc.property(
      fc.oneof(
        anything,
        fc.bigInt({ min: 2n ** 64n - 1n, max: 2n ** 80n }),
        fc.bigInt({ min: -(2n ** 80n), max: -1n }),
      ),
      options(["family", "packetInfo"]),
      (h0, o) => {
        const h = real(h0);
        if (typeof h === "bigint" && h >= 0n && h < 2n ** 64n - 1n) return;
        // wrapSocket takes a number too: a whole one in range could name a live descriptor as well.
        if (typeof h === "number" && Number.isSafeInteger(h) && h >= 0) return;
        allowed("wrapSocket", () => wrapSocket(h as bigint, real(o) as never));
      },
    ),
    { numRuns: RUNS },
  );
});

test(`fuzz (${runtime}): receives with arbitrary options never write outside the caller's view`, async () => {
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  await fc.assert(
    fc.asyncProperty(
      options(["buffer", "peek", "flags", "signal", "controlSize", "reuse"]),
      fc.integer({ min: 0, max: 3000 }),
      fc.boolean(),
      async (o0, size, wait) => {
        const o = real(o0);
        const conn = listenDatagram({ hostname: "127.0.0.1", hopLimit: true });
        try {
          tx.trySendMsg(new Uint8Array(size % 1500).fill(7), conn.addr);
          const g = guarded(size);
          const opts = typeof o === "object" && o !== null && !Array.isArray(o) &&
              (o as { buffer?: unknown }).buffer === undefined && size % 2 === 0
            ? { ...o, buffer: g.view }
            : o;
          if (wait) {
            await settles("receiveMsg", allowed("receiveMsg", () => conn.receiveMsg(opts as never)), conn);
          } else allowed("tryReceiveMsg", () => conn.tryReceiveMsg(opts as never));
          assert.ok(g.intact(), "no byte outside the view was written");
        } finally {
          conn.close();
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test(
  `fuzz (${runtime}): batches, sends, receive(), messages() and splitSegments with arbitrary arguments`,
  async () => {
    using rx = listenDatagram({ hostname: "127.0.0.1" });
    await fc.assert(
      fc.asyncProperty(
        anything,
        options(["buffer", "controlSize", "reuse", "signal"]),
        address,
        anything,
        options(["localAddr", "hopLimit", "signal", "segmentSize"]),
        async (count0, o0, addr0, data0, so0) => {
          const [count, o, addr, data, so] = [count0, o0, addr0, data0, so0].map(real);
          const conn = listenDatagram({ hostname: "127.0.0.1" });
          try {
            allowed("tryReceiveMsgs", () => conn.tryReceiveMsgs(count as never, o as never));
            const to = safeAddress(addr);
            const sendOpts = typeof so === "object" && so !== null &&
                typeof (so as { localAddr?: { hostname?: unknown } }).localAddr === "object"
              ? {
                ...so,
                localAddr: {
                  ...(so as { localAddr: object }).localAddr,
                  hostname: loopbackOnly(((so as { localAddr: { hostname?: unknown } }).localAddr ?? {}).hostname),
                },
              }
              : so;
            allowed("trySendMsg", () => conn.trySendMsg(data as never, to as never, sendOpts as never));
            await settles(
              "sendMsg",
              allowed("sendMsg", () => conn.sendMsg(data as never, to as never, sendOpts as never)),
              conn,
            );
            await settles("send", allowed("send", () => conn.send(data as never, to as never)), conn);
            conn.trySendMsg(new Uint8Array([1, 2, 3]), rx.addr);
            allowed("splitSegments", () => splitSegments(data as never));
            await settles("receive", allowed("receive", () => conn.receive(data as never)), conn);
            const it = allowed("messages", () => conn.messages(o as never)) as AsyncIterator<unknown> | undefined;
            if (it) await settles("messages", it.next(), conn);
            await settles(
              "receiveMsgs",
              allowed("receiveMsgs", () => conn.receiveMsgs(count as never, o as never)),
              conn,
            );
          } finally {
            conn.close();
          }
          while (rx.tryReceiveMsg()) { /* drain */ }
        },
      ),
      { numRuns: RUNS },
    );
  },
  { timeout: 120_000 },
);

// Bad input never costs a datagram (issue 19): shrunk resizable buffers (before the call, or while
// the receive waits), reuse arrays that are frozen, sealed, non-extensible, of fixed length or that
// hold a message twice. Whatever the call does, the datagram queued for it is either what it returns
// or still there for the next receive.
type Shape = "plain" | "shrunk fixed" | "shrunk tracking" | "shrinks while waiting" | "none";
const REUSE = ["none", "ok", "frozen", "sealed", "non-extensible", "fixed length", "doubled"] as const;
function reuseOf(kind: (typeof REUSE)[number], seed: unknown[]): unknown {
  const a = [...seed];
  if (kind === "none") return undefined;
  if (kind === "frozen") return Object.freeze(a);
  if (kind === "sealed") return Object.seal(a);
  if (kind === "non-extensible") return Object.preventExtensions(a);
  if (kind === "fixed length") return Object.defineProperty(a, "length", { writable: false });
  if (kind === "doubled") return [a[0], a[0]];
  return a;
}
test(`fuzz (${runtime}): refused receive input never costs a datagram (shrunk, frozen, doubled, changed after the call)`, async () => {
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Shape>("plain", "shrunk fixed", "shrunk tracking", "shrinks while waiting", "none"),
      fc.constantFrom(...REUSE),
      fc.constantFrom("receiveMsg", "tryReceiveMsg", "receiveMsgs", "tryReceiveMsgs"),
      fc.integer({ min: 1, max: 8 }),
      fc.constantFrom(0, 32),
      async (shape, reuseKind, method, count, readAhead) => {
        const conn = listenDatagram({ hostname: "127.0.0.1", readAhead });
        try {
          for (let i = 0; i < 2; i++) await tx.sendMsg(new Uint8Array([i]), conn.addr);
          const seed = conn.tryReceiveMsgs(2);
          const batch = method.endsWith("Msgs");
          const rab = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer & {
            resize(n: number): void;
          })(8192, { maxByteLength: 8192 });
          const buffer = shape === "none"
            ? undefined
            : shape === "shrunk tracking"
            ? new Uint8Array(rab, 4096)
            : new Uint8Array(rab, 4096, 2048);
          if (shape === "shrunk fixed" || shape === "shrunk tracking") rab.resize(100);
          const reuse = reuseOf(reuseKind, batch ? seed : seed.slice(0, 1));
          const o = { buffer, reuse: batch ? reuse : (reuse as unknown[] | undefined)?.[0] };
          const waiting = shape === "shrinks while waiting";
          let queued = !waiting;
          if (queued) await tx.sendMsg(new Uint8Array([0x5a]), conn.addr);
          let got: unknown;
          try {
            const call = (conn as unknown as Record<string, (...a: unknown[]) => unknown>)[method](
              ...(batch ? [count, o] : [o]),
            );
            if (waiting) {
              // Shrunk after the call: a receive that waits must refuse it before the system call.
              rab.resize(100);
              await tx.sendMsg(new Uint8Array([0x5a]), conn.addr);
              queued = true;
            }
            got = await call;
          } catch (e) {
            check(method, e);
          }
          if (!queued) await tx.sendMsg(new Uint8Array([0x5a]), conn.addr);
          const first = Array.isArray(got) ? got[0] : got;
          if ((first as { data?: Uint8Array } | null | undefined)?.data?.[0] === 0x5a) return;
          const next = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
          assert.equal(next.data[0], 0x5a, `${method} (${shape}, reuse ${reuseKind}): the datagram is still there`);
        } finally {
          conn.close();
        }
      },
    ),
    { numRuns: underWine ? 40 : 150 },
  );
});
