// One benchmark receiver. It binds 127.0.0.1:0 and prints the port; then, by method:
//   drain MODE COUNT WAIT_MS: blocks its thread for WAIT_MS while the flooder queues COUNT datagrams,
//     drains them untimed and prints "ready"; BENCH_WARM_ROUNDS such warm-up rounds (default 3: the JIT
//     compiles the receive path and settles), then one more burst is drained timed.
//   flood MODE WARM_MS WINDOW_MS: receives while a concurrent flooder sends; from WARM_MS after the
//     first datagram, counts for WINDOW_MS.
// Either way it ends by printing "received seconds".
// Modes:
//   try            tryReceiveMsg with a caller buffer (flood: waiting with receiveMsg when none is queued)
//   try-reuse      the same, overwriting one message object (`reuse`): nothing allocated per datagram
//   batch          tryReceiveMsgs(64) with a caller buffer and the array reused (recvmmsg on Linux)
//   async-buffer   await receiveMsg({ buffer })
//   async-copy     await receiveMsg() (a fresh copy per datagram)
//   messages-copy  for await (const m of conn.messages()) (a fresh copy per datagram)
//   messages-buffer  for await (const m of conn.messages({ buffer }))
//   deno-builtin   Deno.listenDatagram (needs --unstable-net)
//   bun-builtin    Bun.udpSocket
//   node-dgram     node:dgram
//   recvmsg-dgram  recvmsg/dgram, this module's node:dgram drop-in ("message" events)
import dgram from "node:dgram";
import process from "node:process";
import type { DatagramMessage } from "../mod.ts";

const [method, mode, a, b] = process.argv.slice(2);
const flood = method === "flood";
const count = flood ? Infinity : Number(a);
const waitMs = flood ? 0 : Number(b);
const warmMs = flood ? Number(a) : 0;
const windowMs = flood ? Number(b) : 0;
const RCVBUF = 32 << 20;
const BATCH = 64;
/**
 * Untimed drain rounds before the timed one (BENCH_WARM_ROUNDS, default 3; scripts/bench.mjs asks for 10 on
 * Linux, where three left the JIT short of its steady state); the C receivers do the same.
 */
const WARM_ROUNDS = Number(process.env.BENCH_WARM_ROUNDS ?? 3);
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
/** The process's CPU time when the timed part began: reported beside the wall time (see {@link report}). */
let cpu0 = process.cpuUsage();
/** The clock for the timed part: wall time now, and the CPU time from now on. */
const start = () => {
  cpu0 = process.cpuUsage();
  return performance.now();
};
/**
 * "received seconds cpu_seconds": the CPU time (user and system, every thread) the timed part used. On a
 * busy machine it is the steadier figure: time spent descheduled counts in the wall time only.
 */
const report = (received: number, seconds: number) => {
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${received} ${seconds.toFixed(6)} ${((cpu.user + cpu.system) / 1e6).toFixed(6)}\n`);
  process.exit(0);
};
const announce = (port: number) => process.stdout.write(`${port}\n`);

/**
 * Drives a pull receiver: `some()` receives at least one datagram (waiting if need be) and returns how
 * many; `queued()` receives what is queued without waiting and returns how many (0 when empty).
 */
async function pull(port: number, some: () => number | Promise<number>, queued: () => number): Promise<void> {
  announce(port);
  if (!flood) {
    const drain = () => {
      let received = 0;
      for (let n = queued(); n > 0 && received < count; n = queued()) received += n;
      return received;
    };
    block(waitMs);
    drain();
    for (let round = 1; round < WARM_ROUNDS; round++) {
      process.stdout.write("ready\n");
      block(waitMs);
      drain();
    }
    process.stdout.write("ready\n");
    block(waitMs);
    const t0 = start();
    const received = drain();
    return report(received, (performance.now() - t0) / 1000);
  }
  await some();
  const warmEnd = performance.now() + warmMs;
  while (performance.now() < warmEnd) await some();
  let received = 0;
  const t0 = start();
  let t = t0;
  while (t - t0 < windowMs) {
    received += await some();
    t = performance.now();
  }
  report(received, (t - t0) / 1000);
}

/** Drives a push receiver: call the returned function once per datagram. */
function push(): () => void {
  let received = 0;
  let mark = 0;
  let t0 = 0;
  let firstAt = 0;
  return () => {
    received++;
    if (!flood) {
      if (received % count === 0 && received <= WARM_ROUNDS * count) {
        process.stdout.write("ready\n");
        block(waitMs);
        t0 = start();
      }
      if (received === (WARM_ROUNDS + 1) * count) report(count, (performance.now() - t0) / 1000);
      return;
    }
    // Check the clock every 64 datagrams: a timer would wait behind the callbacks.
    if ((received & 63) !== 1) return;
    const t = performance.now();
    if (firstAt === 0) firstAt = t;
    else if (t0 === 0 && t - firstAt >= warmMs) {
      t0 = t;
      cpu0 = process.cpuUsage();
      mark = received;
    } else if (t0 !== 0 && t - t0 >= windowMs) report(received - mark, (t - t0) / 1000);
  };
}

if (["try", "try-reuse", "batch", "async-buffer", "async-copy", "messages-copy", "messages-buffer"].includes(mode)) {
  // Imported here so that the node:dgram mode also runs on Node, which this module does not support.
  const { listenDatagram } = await import("../mod.ts");
  const conn = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: RCVBUF });
  const buffer = new Uint8Array(2048);
  const big = new Uint8Array(BATCH * 2048);
  if (mode === "try") {
    const options = { buffer };
    const queued = () => {
      let n = 0;
      while (n < 256 && conn.tryReceiveMsg(options)) n++;
      return n;
    };
    await pull(conn.addr.port, () => queued() || conn.receiveMsg(options).then(() => 1), queued);
  } else if (mode === "try-reuse") {
    const options: { buffer: Uint8Array; reuse: DatagramMessage | null } = { buffer, reuse: null };
    const queued = () => {
      let n = 0;
      for (let m = conn.tryReceiveMsg(options); m; m = conn.tryReceiveMsg(options)) {
        options.reuse = m;
        if (++n === 256) break;
      }
      return n;
    };
    const wait = async () => {
      options.reuse = await conn.receiveMsg(options);
      return 1;
    };
    await pull(conn.addr.port, () => queued() || wait(), queued);
  } else if (mode === "batch") {
    const options: { buffer: Uint8Array; reuse: DatagramMessage[] | null } = { buffer: big, reuse: null };
    const queued = () => {
      const got = conn.tryReceiveMsgs(BATCH, options);
      if (got.length > 0) options.reuse = got;
      return got.length;
    };
    const wait = async () => {
      const got = await conn.receiveMsgs(BATCH, options);
      options.reuse = got;
      return got.length;
    };
    await pull(conn.addr.port, () => queued() || wait(), queued);
  } else {
    const options = mode === "async-buffer" || mode === "messages-buffer" ? { buffer } : undefined;
    // One datagram, awaited: from receiveMsg, or from one iterator of messages() kept for the whole run.
    const iterator = mode.startsWith("messages") ? conn.messages(options)[Symbol.asyncIterator]() : null;
    const one = iterator ? () => iterator.next() : () => conn.receiveMsg(options);
    if (!flood) {
      announce(conn.addr.port);
      // Await each datagram, stopping at COUNT or when the queue is empty (checked by a peek every
      // 1,024, so that a datagram lost to a full buffer cannot hang the run).
      const drain = async () => {
        let received = 0;
        while (received < count) {
          await one();
          received++;
          if (received % 1024 === 0 && conn.tryReceiveMsg({ buffer, peek: true }) === null) break;
        }
        return received;
      };
      block(waitMs);
      await drain();
      for (let round = 1; round <= WARM_ROUNDS; round++) {
        process.stdout.write("ready\n");
        block(waitMs);
        if (round < WARM_ROUNDS) await drain();
      }
      const t0 = start();
      const received = await drain();
      report(received, (performance.now() - t0) / 1000);
    } else {
      await pull(conn.addr.port, () => one().then(() => 1), () => 0);
    }
  }
} else if (mode === "deno-builtin") {
  const D = (globalThis as unknown as {
    Deno: { listenDatagram(o: object): { addr: { port: number }; receive(b?: Uint8Array): Promise<unknown> } };
  }).Deno;
  const conn = D.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const buffer = new Uint8Array(2048);
  if (flood) {
    await pull(conn.addr.port, () => conn.receive(buffer).then(() => 1), () => 0);
  } else {
    announce(conn.addr.port);
    block(waitMs);
    for (let round = 1; round <= WARM_ROUNDS; round++) {
      for (let i = 0; i < count; i++) await conn.receive(buffer);
      process.stdout.write("ready\n");
      block(waitMs);
    }
    let received = 0;
    const t0 = start();
    while (received < count) {
      await conn.receive(buffer);
      received++;
    }
    report(received, (performance.now() - t0) / 1000);
  }
} else if (mode === "bun-builtin") {
  const B = (globalThis as unknown as { Bun: { udpSocket(o: object): Promise<{ port: number }> } }).Bun;
  const onDatagram = push();
  const sock = await B.udpSocket({ hostname: "127.0.0.1", socket: { data: onDatagram } });
  announce(sock.port);
  if (!flood) block(waitMs);
} else if (mode === "node-dgram" || mode === "recvmsg-dgram") {
  const onDatagram = push();
  const options = { type: "udp4" as const, recvBufferSize: RCVBUF };
  const sock = mode === "node-dgram"
    ? dgram.createSocket(options)
    : (await import("../dgram.ts")).createSocket(options) as unknown as dgram.Socket;
  sock.on("message", onDatagram);
  sock.bind(0, "127.0.0.1", () => {
    announce(sock.address().port);
    if (!flood) block(waitMs);
  });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
