// One benchmark receiver (drain method): binds 127.0.0.1:0, prints the port, blocks its thread for
// WAIT_MS while the flooder queues COUNT datagrams, drains them untimed (warm-up: the JIT compiles the
// receive path), prints "ready", blocks again while a second burst is queued, then drains that one
// timed and prints "received seconds".
// usage: receiver.ts MODE COUNT WAIT_MS
//   try            tryReceiveMsg with a caller buffer, in a loop
//   async-buffer   await receiveMsg({ buffer })
//   async-copy     await receiveMsg() (a fresh copy per datagram)
//   deno-builtin   Deno.listenDatagram (needs --unstable-net)
//   bun-builtin    Bun.udpSocket
//   node-dgram     node:dgram
import dgram from "node:dgram";
import process from "node:process";

const [mode, countText, waitText] = process.argv.slice(2);
const count = Number(countText);
const waitMs = Number(waitText);
const RCVBUF = 32 << 20;
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const report = (received: number, seconds: number) => {
  process.stdout.write(`${received} ${seconds.toFixed(6)}\n`);
  process.exit(0);
};
const announce = (port: number) => process.stdout.write(`${port}\n`);

if (mode === "try" || mode === "async-buffer" || mode === "async-copy") {
  // Imported here so that the node:dgram mode also runs on Node, which this module does not support.
  const { listenDatagram } = await import("../mod.ts");
  const conn = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: RCVBUF });
  announce(conn.addr.port);
  block(waitMs);
  const buffer = new Uint8Array(2048);
  const drain = async () => {
    let received = 0;
    if (mode === "try") {
      while (conn.tryReceiveMsg({ buffer })) received++;
    } else {
      const options = mode === "async-buffer" ? { buffer } : undefined;
      // Stop at COUNT, or when the queue is empty (a datagram lost to a full buffer would otherwise hang).
      while (received < count) {
        await conn.receiveMsg(options);
        received++;
        if (received % 1024 === 0 && conn.tryReceiveMsg({ buffer, peek: true }) === null) break;
      }
    }
    return received;
  };
  await drain();
  process.stdout.write("ready\n");
  block(waitMs);
  const t0 = performance.now();
  const received = await drain();
  report(received, (performance.now() - t0) / 1000);
} else if (mode === "deno-builtin") {
  const D = (globalThis as unknown as { Deno: { listenDatagram(o: object): { addr: { port: number }; receive(b?: Uint8Array): Promise<unknown> } } }).Deno;
  const conn = D.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  announce(conn.addr.port);
  block(waitMs);
  const buffer = new Uint8Array(2048);
  for (let i = 0; i < count; i++) await conn.receive(buffer);
  process.stdout.write("ready\n");
  block(waitMs);
  let received = 0;
  const t0 = performance.now();
  while (received < count) {
    await conn.receive(buffer);
    received++;
  }
  report(received, (performance.now() - t0) / 1000);
} else if (mode === "bun-builtin") {
  let received = 0;
  let t0 = 0;
  const B = (globalThis as unknown as { Bun: { udpSocket(o: object): Promise<{ port: number }> } }).Bun;
  const sock = await B.udpSocket({
    hostname: "127.0.0.1",
    socket: {
      data() {
        if (++received === count) {
          process.stdout.write("ready\n");
          block(waitMs);
          t0 = performance.now();
        }
        if (received === 2 * count) report(count, (performance.now() - t0) / 1000);
      },
    },
  });
  announce(sock.port);
  block(waitMs);
} else if (mode === "node-dgram") {
  let received = 0;
  let t0 = 0;
  const sock = dgram.createSocket({ type: "udp4", recvBufferSize: RCVBUF });
  sock.on("message", () => {
    if (++received === count) {
      process.stdout.write("ready\n");
      block(waitMs);
      t0 = performance.now();
    }
    if (received === 2 * count) report(count, (performance.now() - t0) / 1000);
  });
  sock.bind(0, "127.0.0.1", () => {
    announce(sock.address().port);
    block(waitMs);
  });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
