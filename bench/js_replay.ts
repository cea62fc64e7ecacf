// The JavaScript cost of a Linux drain, per datagram, without its system calls: the first recvmmsg on
// each vector is real (datagrams this process queued to itself); every later one is replayed: what the
// kernel wrote into the slots' headers (lengths, flags, name and control lengths) is written back and
// the same count returned, while the data, names and control bytes the kernel wrote stay where they
// are. So each public receive runs whole — checks, read-ahead or batch bookkeeping, decode, copy,
// message, promise, iterator, fairness turns — consuming datagrams as a drain does (unlike
// bench/js_path.ts, which peeks one). Prints "case wall-ns cpu-ns" per datagram (medians of ROUNDS
// interleaved rounds). Linux only (recvmmsg). REPLAY_CASE=text runs only the cases whose name has it
// (for a profiler: --cpu-prof).
//   usage: deno run -A bench/js_replay.ts [DATAGRAMS] [ROUNDS]   (or node / bun)
import process from "node:process";
import { type Case, runInterleaved } from "./interleaved.ts";
import { listenDatagram } from "../mod.ts";
import { load } from "../ffi/posix/system.ts";
import { native } from "../ffi/native.ts";
import type { PinnedBuffer } from "../ffi/types.ts";
import { MAX_SLOTS, mmsgAt, SLOT, slotLayout } from "../ffi/posix/mmsg_slots.ts";

const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const lib = load();
if (lib.recvmmsg === null || lib.readAhead === null) throw new Error("js_replay: Linux only (recvmmsg)");
const VEC_BYTES = slotLayout(MAX_SLOTS).end;

/** What the kernel wrote into a vector's slot headers at its first (real) call. */
interface Recorded {
  dv: DataView;
  n: number;
  /** Per slot: msg_len, msg_flags, msg_namelen, and msg_controllen's two 32-bit halves. */
  words: Int32Array;
}
const recorded = new Map<unknown, Recorded>();
const viewOf = (vec: PinnedBuffer): DataView => {
  if (typeof vec === "bigint") {
    const u8 = native.viewBytes(vec, VEC_BYTES);
    return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  }
  const u8 = vec as unknown as Uint8Array;
  return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
};
const real = lib.recvmmsg;
const replay = (fd: number, vec: PinnedBuffer, vlen: number, flags: number, timeout: bigint): number => {
  const r = recorded.get(vec);
  if (r === undefined) {
    const n = real(fd, vec, vlen, flags, timeout);
    if (n <= 0) return n;
    const dv = viewOf(vec);
    const words = new Int32Array(n * 5);
    for (let i = 0; i < n; i++) {
      const m = mmsgAt(i);
      words[i * 5] = dv.getInt32(m + SLOT.len, true);
      words[i * 5 + 1] = dv.getInt32(m + SLOT.flags, true);
      words[i * 5 + 2] = dv.getInt32(m + SLOT.namelen, true);
      words[i * 5 + 3] = dv.getInt32(m + SLOT.controllen, true);
      words[i * 5 + 4] = dv.getInt32(m + SLOT.controllen + 4, true);
    }
    recorded.set(vec, { dv, n, words });
    return n;
  }
  const n = Math.min(r.n, vlen);
  const { dv, words } = r;
  for (let i = 0; i < n; i++) {
    const m = mmsgAt(i);
    dv.setInt32(m + SLOT.len, words[i * 5], true);
    dv.setInt32(m + SLOT.flags, words[i * 5 + 1], true);
    dv.setInt32(m + SLOT.namelen, words[i * 5 + 2], true);
    dv.setInt32(m + SLOT.controllen, words[i * 5 + 3], true);
    dv.setInt32(m + SLOT.controllen + 4, words[i * 5 + 4], true);
  }
  return n;
};
(lib as { recvmmsg: typeof replay }).recvmmsg = replay;
(lib.readAhead as { recvmmsg: typeof replay }).recvmmsg = replay;

const rx = listenDatagram({ hostname: "127.0.0.1" });
const tx = listenDatagram({ hostname: "127.0.0.1" });
const to = { hostname: "127.0.0.1", port: rx.addr.port };
// Enough for the first real call of every vector: the read-ahead's and the batch's.
for (let i = 0; i < 2 * MAX_SLOTS; i++) await tx.sendMsg(new Uint8Array(64).fill(i), to);
await new Promise((r) => setTimeout(r, 50));

const buffer = new Uint8Array(2048);
const batchBuffer = new Uint8Array(MAX_SLOTS * 2048);
const cases: Record<string, Case> = {
  "tryReceiveMsg({ buffer })": () => {
    for (let i = 0; i < count; i++) if (rx.tryReceiveMsg({ buffer }) === null) throw new Error("none");
  },
  "tryReceiveMsg, buffer+reuse": () => {
    let m = rx.tryReceiveMsg({ buffer });
    for (let i = 1; i < count; i++) m = rx.tryReceiveMsg({ buffer, reuse: m });
    if (m === null) throw new Error("none");
  },
  "tryReceiveMsg, fresh copy": () => {
    for (let i = 0; i < count; i++) if (rx.tryReceiveMsg() === null) throw new Error("none");
  },
  "receiveMsg, fresh copy": async () => {
    for (let i = 0; i < count; i++) await rx.receiveMsg();
  },
  "receiveMsg({ buffer })": async () => {
    for (let i = 0; i < count; i++) await rx.receiveMsg({ buffer });
  },
  "messages(), fresh copy": async () => {
    let i = 0;
    for await (const _ of rx.messages()) if (++i === count) break;
  },
  "messages({ buffer })": async () => {
    let i = 0;
    for await (const _ of rx.messages({ buffer })) if (++i === count) break;
  },
  "tryReceiveMsgs(64), reuse": () => {
    let reuse = rx.tryReceiveMsgs(MAX_SLOTS, { buffer: batchBuffer });
    for (let got = reuse.length; got < count; got += reuse.length) {
      reuse = rx.tryReceiveMsgs(MAX_SLOTS, { buffer: batchBuffer, reuse });
    }
  },
};
const only = process.env.REPLAY_CASE;
await runInterleaved(
  Object.fromEntries(Object.entries(cases).filter(([n]) => only === undefined || n.includes(only))),
  rounds,
  count,
);
rx.close();
tx.close();
