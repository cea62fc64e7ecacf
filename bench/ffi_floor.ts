// The floor under this module's receive on each runtime: the C recvmmsg loop of bench/c/recv_linux.c
// (32 slots of 2 KiB, 256 bytes of control, IP_PKTINFO, MSG_DONTWAIT) written with the runtime's own FFI
// through ffi/native.ts, reading only each datagram's length: no message, no copy, no decode. What it
// costs above the C loop is the runtime's FFI and event loop; what this module's receives cost above it
// is this module's JavaScript. Same protocol and output as bench/receiver.ts drain (for
// bench/cpu_per_datagram.mjs): port, three untimed bursts, then "received seconds cpu_seconds".
//   usage: deno run -A bench/ffi_floor.ts COUNT WAIT_MS [await|await-fair]   (or bun / node)
// With "await", each datagram is handed on through an awaited promise (the promise floor); with
// "await-fair" the event loop turns as this module's fairness asks, too (the fair promise floor under
// receiveMsg and messages()).
import process from "node:process";
import { iovAt, mmsgAt, setSize, SLOT, slotArena, slotLayout } from "../ffi/posix/mmsg_slots.ts";
import { load } from "../ffi/posix/system.ts";
import { native } from "../ffi/native.ts";
import { setPointer } from "../ffi/common/receive_target.ts";

const [count, waitMs] = process.argv.slice(2).map(Number);
/** "await": every datagram is handed on through an awaited promise of an iterator result, as `for await` takes it. */
const awaitEach = process.argv[4] === "await" || process.argv[4] === "await-fair";
/**
 * "await-fair": the promise floor with this module's fairness rule (connection/receive_queue.ts): after 32
 * datagrams in a row, once the event loop last turned 2 ms ago or more, the next waits for a macrotask
 * (setImmediate), so that timers run under any load. What a turn of the runtime's loop costs is in it.
 */
const fair = process.argv[4] === "await-fair";
const SLOTS = 32;
const lib = load();
const c = lib.c;
// Linux values: AF_INET, SOCK_DGRAM, IPPROTO_IP, IP_PKTINFO, SOL_SOCKET, SO_RCVBUF, MSG_DONTWAIT.
const fd = c.socket(2, 2, 0);
const int = (v: number) => new Uint8Array(new Int32Array([v]).buffer);
c.setsockopt(fd, 0, 8, int(1), 4);
c.setsockopt(fd, 1, 8, int(32 << 20), 4);
const sin = new Uint8Array(16);
new DataView(sin.buffer).setUint16(0, 2, true);
sin.set([127, 0, 0, 1], 4);
if (c.bind(fd, sin, 16) !== 0) throw new Error("bind");
const len = new Uint8Array(int(16));
c.getsockname(fd, sin, len);
process.stdout.write(`${new DataView(sin.buffer).getUint16(2, false)}\n`);

const layout = slotLayout(SLOTS);
const { u8: vec, dv } = slotArena(layout);
const data = new Uint8Array(new ArrayBuffer(SLOTS * 2048));
const control = new Uint8Array(new ArrayBuffer(SLOTS * 256));
const dataAt = native.addressOf(data);
const controlAt = native.addressOf(control);
for (let i = 0; i < SLOTS; i++) {
  setPointer(dv, iovAt(layout, i) + SLOT.iovBase, dataAt + i * 2048);
  setSize(dv, iovAt(layout, i) + SLOT.iovLen, 2048);
  setPointer(dv, mmsgAt(i) + SLOT.control, controlAt + i * 256);
}
const recvmmsg = lib.recvmmsg!;
let sum = 0;
/** One recvmmsg into the slots: how many datagrams came (0 when none is queued). */
const fill = () => {
  for (let i = 0; i < SLOTS; i++) {
    dv.setUint32(mmsgAt(i) + SLOT.namelen, 32, true);
    setSize(dv, mmsgAt(i) + SLOT.controllen, 256);
  }
  const n = recvmmsg(fd, vec, SLOTS, 0x40, 0n);
  return n > 0 ? n : 0;
};
const syncDrain = () => {
  let got = 0;
  while (got < count) {
    const n = fill();
    if (n === 0) break;
    for (let i = 0; i < n; i++) sum += dv.getUint32(mmsgAt(i) + SLOT.len, true);
    got += n;
  }
  return got;
};
// The promise floor: the same loop behind an iterator whose next() resolves at once with the next
// datagram's length, awaited one by one as bench/receiver.ts awaits messages().
let at = 0;
let filled = 0;
let burst = 0;
let turnedAt = 0;
const turned = (): void => {
  burst = 0;
  turnedAt = performance.now();
};
const next = (): Promise<IteratorResult<number>> => {
  if (fair && ++burst > 32) {
    if (performance.now() - turnedAt >= 2) {
      return new Promise((resolve) =>
        setImmediate(() => {
          turned();
          resolve(next());
        })
      );
    }
    burst = 1;
  }
  if (at === filled) {
    filled = fill();
    at = 0;
    if (filled === 0) return Promise.resolve({ value: undefined, done: true });
  }
  return Promise.resolve({ value: dv.getUint32(mmsgAt(at++) + SLOT.len, true), done: false });
};
const asyncDrain = async () => {
  let got = 0;
  while (got < count) {
    const r = await next();
    if (r.done) break;
    sum += r.value;
    got++;
  }
  return got;
};
const drain: () => number | Promise<number> = awaitEach ? asyncDrain : syncDrain;
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
block(waitMs);
await drain();
for (let round = 1; round < Number(process.env.BENCH_WARM_ROUNDS ?? 3); round++) {
  process.stdout.write("ready\n");
  block(waitMs);
  await drain();
}
process.stdout.write("ready\n");
block(waitMs);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const received = await drain();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${received} ${seconds.toFixed(6)} ${((cpu.user + cpu.system) / 1e6).toFixed(6)}\n`);
// The arrays the kernel writes into are used here, after the last await: an engine may collect a
// variable that nothing reads any more (Bun did, and crashed in the awaited loop), and only their
// addresses went to the kernel.
if (sum < 0) console.log(sum, data.length, control.length);
process.exit(0);
