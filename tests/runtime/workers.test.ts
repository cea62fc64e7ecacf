// Past one core: examples/workers_echo.ts runs one reusePort socket per worker (Deno and Bun web
// Workers, Node worker_threads) on one port. Many client ports must spread over every worker, every
// request must be answered from the address it was sent to, and stopping must close every socket and
// end every thread (the port is free again, and the test process exits).
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { startEchoWorkers } from "../../examples/workers_echo.ts";
import { listenDatagram } from "../../mod.ts";
import process from "node:process";
import { test } from "./harness.ts";

/** Only Linux spreads a port's unicast flows over SO_REUSEPORT sockets (macOS and the BSDs give one socket all). */
const notSpread = process.platform === "linux" ? null : "SO_REUSEPORT spreads flows over the sockets only on Linux";

const WORKERS = 3;
/** Client sockets (each its own port, so its own flow): IPv4 ones ask 127.0.0.1 and 127.0.0.2, IPv6 ones ::1. */
const CLIENTS4 = 32;
const CLIENTS6 = 16;

interface Asked {
  sock: dgram.Socket;
  /** Request text -> the address it was sent to. */
  pending: Map<string, string>;
}

/** Binds a client socket on the loopback address of its family. */
async function client(type: "udp4" | "udp6"): Promise<dgram.Socket> {
  const sock = dgram.createSocket(type);
  await new Promise<void>((r) => sock.bind(0, type === "udp4" ? "127.0.0.1" : "::1", () => r()));
  return sock;
}

test(
  "echo workers on one port (reusePort): client ports spread over every worker, each answered from the address it asked; stop frees the port",
  async () => {
    const server = await startEchoWorkers({ workers: WORKERS }); // "::", dual-stack, as users run it
    const asked: Asked[] = [];
    const problems: string[] = [];
    let counts: number[] | undefined;
    try {
      assert.equal(server.workers, WORKERS);
      for (let i = 0; i < CLIENTS4 + CLIENTS6; i++) {
        const v4 = i < CLIENTS4;
        const sock = await client(v4 ? "udp4" : "udp6");
        const pending = new Map((v4 ? ["127.0.0.1", "127.0.0.2"] : ["::1"]).map((to) => [`${i} ${to}`, to]));
        asked.push({ sock, pending });
      }
      const total = asked.reduce((n, a) => n + a.pending.size, 0);
      let left = total;
      const done = Promise.withResolvers<void>();
      const timer = setTimeout(
        () => done.reject(new Error(`${left} of ${total} requests unanswered after 15 s`)),
        15_000,
      );
      for (const { sock, pending } of asked) {
        sock.on("message", (data, from) => {
          const text = new TextDecoder().decode(data);
          const to = pending.get(text);
          if (to === undefined) {
            problems.push(`unexpected or repeated answer ${JSON.stringify(text)}`);
            return;
          }
          pending.delete(text);
          const source = from.address.replace(/^::ffff:/, "");
          if (source !== to) problems.push(`the answer to ${JSON.stringify(text)} came from ${source}, not ${to}`);
          if (from.port !== server.port) {
            problems.push(`the answer to ${JSON.stringify(text)} came from port ${from.port}`);
          }
          if (--left === 0) done.resolve();
        });
        for (const [text, to] of pending) sock.send(text, server.port, to);
      }
      try {
        await done.promise;
      } finally {
        clearTimeout(timer);
      }
      assert.deepEqual(problems, []);
      counts = await server.stop();
      assert.equal(counts.length, WORKERS);
      assert.equal(counts.reduce((a, b) => a + b, 0), total, `answered per worker: ${counts.join(" ")}`);
      for (const [w, n] of counts.entries()) {
        assert.ok(n > 0, `worker ${w} answered none of ${total}: ${counts.join(" ")}`);
      }
    } finally {
      for (const { sock } of asked) sock.close();
      if (counts === undefined) await server.stop();
    }
    // No socket of the group is left: a socket without SO_REUSEPORT may take the port alone.
    using again = listenDatagram({ hostname: "::", port: server.port });
    assert.equal(again.addr.port, server.port);
  },
  { windows: false, timeout: 60_000, skip: notSpread },
);

test("echo workers fail to start on a port taken without reusePort, and end the threads they started", async () => {
  using taken = listenDatagram({ hostname: "0.0.0.0" });
  await assert.rejects(
    startEchoWorkers({ hostname: "0.0.0.0", port: taken.addr.port, workers: 2 }),
    /echo worker 0: .*EADDRINUSE/,
  );
}, { windows: false, timeout: 60_000 });

test("startEchoWorkers refuses a worker count that is not a positive integer, before starting any", async () => {
  for (const workers of [0, -1, 1.5, NaN]) {
    await assert.rejects(
      startEchoWorkers({ workers }),
      (e: Error) => e instanceof RangeError && /workers/.test(e.message),
    );
  }
});
