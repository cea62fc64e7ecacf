// The floor under this module's receive on each runtime: the C recvmmsg loop of bench/c/recv_linux.c
// (32 slots of 2 KiB, 256 bytes of control, IP_PKTINFO, MSG_DONTWAIT) written with the runtime's own FFI
// through ffi/native.ts, reading only each datagram's length: no message, no copy, no decode. What it
// costs above the C loop is the runtime's FFI and event loop; what this module's receives cost above it
// is this module's JavaScript. Same protocol and output as bench/receiver.ts drain (for
// bench/cpu_per_datagram.mjs): port, three untimed bursts, then "received seconds cpu_seconds".
//   usage: deno run -A bench/ffi_floor.ts COUNT WAIT_MS   (or bun / node)
import process from "node:process";
import { iovAt, mmsgAt, setSize, SLOT, slotArena, slotLayout } from "../ffi/posix/mmsg_slots.ts";
import { load } from "../ffi/posix/system.ts";
import { native } from "../ffi/native.ts";
import { setPointer } from "../ffi/common/receive_target.ts";

const [count, waitMs] = process.argv.slice(2).map(Number);
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
const drain = () => {
  let got = 0;
  while (got < count) {
    for (let i = 0; i < SLOTS; i++) {
      dv.setUint32(mmsgAt(i) + SLOT.namelen, 32, true);
      setSize(dv, mmsgAt(i) + SLOT.controllen, 256);
    }
    const n = recvmmsg(fd, vec, SLOTS, 0x40, 0);
    if (n <= 0) break;
    for (let i = 0; i < n; i++) sum += dv.getUint32(mmsgAt(i) + SLOT.len, true);
    got += n;
  }
  return got;
};
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
block(waitMs);
drain();
for (let round = 1; round < 3; round++) {
  process.stdout.write("ready\n");
  block(waitMs);
  drain();
}
process.stdout.write("ready\n");
block(waitMs);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const received = drain();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${received} ${seconds.toFixed(6)} ${((cpu.user + cpu.system) / 1e6).toFixed(6)}\n`);
if (sum < 0) console.log(sum);
process.exit(0);
