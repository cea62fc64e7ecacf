// worker.terminate() while the worker's receive waits (issue 18, item 2): terminate settles and the
// worker's socket is closed with it, so its port can be bound again at once, as with the runtime's own sockets.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { runtime, sleep, test } from "./harness.ts";

const FIXTURE = new URL("./fixtures/wait_worker.ts", import.meta.url);

/** Binds `port` with node:dgram: null, or the error code. */
async function bindCode(port: number): Promise<string | null> {
  const s = dgram.createSocket("udp4");
  const code = await new Promise<string | null>((resolve) => {
    s.once("error", (e) => resolve((e as { code?: string }).code ?? String(e)));
    s.bind(port, "127.0.0.1", () => resolve(null));
  });
  s.close();
  return code;
}

for (const wait of [true, false]) {
  test(
    `worker.terminate() ${
      wait ? "while its receive waits" : "with a socket that never waited"
    }: terminate settles and the port can be bound again at once`,
    async () => {
      const port = 41000 + Math.floor(Math.random() * 20000);
      if (runtime === "node") {
        const { Worker } = await import("node:worker_threads");
        const worker = new Worker(FIXTURE);
        const said = new Promise((r) => worker.once("message", r));
        worker.postMessage({ port, wait });
        assert.equal(await said, "waiting");
        assert.equal(await bindCode(port), "EADDRINUSE", "the worker holds the port");
        const settled = await Promise.race([worker.terminate().then(() => "settled"), sleep(5000).then(() => "hung")]);
        assert.equal(settled, "settled");
      } else {
        const W = (globalThis as unknown as {
          Worker: new (u: URL, o: object) => {
            postMessage(m: unknown): void;
            onmessage: ((e: { data: unknown }) => void) | null;
            terminate(): void;
          };
        }).Worker;
        const worker = new W(FIXTURE, { type: "module" });
        const said = new Promise((r) => worker.onmessage = (e) => r(e.data));
        worker.postMessage({ port, wait });
        assert.equal(await said, "waiting");
        assert.equal(await bindCode(port), "EADDRINUSE", "the worker holds the port");
        worker.terminate();
      }
      // The runtimes' own sockets free their port within 10 ms of terminate.
      let code = await bindCode(port);
      if (code !== null) {
        await sleep(10);
        code = await bindCode(port);
      }
      assert.equal(code, null, "the port is free again");
    },
    {
      skip: runtime === "node" ? null : `${runtime} runs nothing of ours when it terminates a worker (left open)`,
    },
  );
}
