// Memory the kernel writes through must never move or be freed under it, and nothing may leak.
import assert from "node:assert/strict";
import { posixStats } from "../../ffi/posix/posix.ts";
import { winsockStats } from "../../ffi/winsock/winsock.ts";
import { listenDatagram, SocketClosedError } from "../../mod.ts";
import { readdirSync } from "node:fs";
import process from "node:process";
import { forceGC, onWindows, runtime, Sender, sleep, test, underWine } from "./harness.ts";
import { checkPayload, payload } from "./payload.ts";

const W = { windows: true } as const;

test(
  `GC stress (${runtime}): collections forced while receives are pending, 3,000 datagrams checked byte by byte`,
  async () => {
    assert.ok(forceGC(), "the runtime must expose gc: Deno needs --v8-flags=--expose-gc");
    using conn = listenDatagram({ hostname: "0.0.0.0", receiveBufferSize: 1 << 20 });
    const tx = await Sender.open("udp4");
    try {
      let garbage: unknown[] = [];
      for (let seq = 0; seq < 3000; seq += 3) {
        // Three receives pending, of the three kinds: fresh copy, small caller buffer (on the JS heap in V8), large one.
        const small = new Uint8Array(64);
        const pending = [
          conn.receiveMsg(),
          conn.receiveMsg({ buffer: small }),
          conn.receiveMsg({ buffer: new Uint8Array(4096) }),
        ];
        // Churn the heap so that young objects move, then collect, while the system holds the wait.
        for (let i = 0; i < 200; i++) garbage.push(new Uint8Array(i % 96), { i, s: `x${i}` });
        if (seq % 30 === 0) {
          forceGC();
          garbage = [];
        }
        for (let i = 0; i < 3; i++) {
          await tx.send(
            payload(seq + i).subarray(0, i === 1 ? Math.min(64, payload(seq + i).length) : undefined),
            "127.0.0.2",
            conn.addr.port,
          );
        }
        const [a, b, c] = await Promise.all(pending);
        checkPayload(a, seq);
        const expectB = payload(seq + 1).subarray(0, 64);
        assert.deepEqual(b.data, expectB.subarray(0, b.data.length));
        assert.equal(b.data.length, Math.min(64, payload(seq + 1).length));
        assert.equal(b.data.buffer, small.buffer);
        checkPayload(c, seq + 2);
      }
    } finally {
      await tx.close();
    }
  },
  { timeout: 120_000 },
);

test("a receive on queued data completes at once: no wait is registered with the thread pool", async () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  const tx = await Sender.open("udp4");
  try {
    await tx.send("queued", "127.0.0.1", conn.addr.port);
    await sleep(30);
    const before = winsockStats().waiting;
    const p = conn.receiveMsg();
    assert.equal(winsockStats().waiting, before, "no wait registered for a queued datagram");
    assert.equal(new TextDecoder().decode((await p).data), "queued");
    // And with nothing queued, exactly one wait is registered however many receives wait.
    const q = [conn.receiveMsg(), conn.receiveMsg()];
    assert.equal(winsockStats().waiting, before + 1);
    await tx.send("a", "127.0.0.1", conn.addr.port);
    await tx.send("b", "127.0.0.1", conn.addr.port);
    await Promise.all(q);
  } finally {
    await tx.close();
  }
}, W);

/**
 * Open handles as the system counts them: GetProcessHandleCount on Windows; under Wine, which does
 * not keep that count, the Linux file descriptors of the process (each Wine socket is one).
 */
function openHandles(): number {
  const n = !onWindows
    ? readdirSync("/proc/self/fd").length
    : underWine
    ? readdirSync("Z:\\proc\\self\\fd").length
    : winsockStats().handles;
  assert.ok(n !== null && n > 0, "a handle count is available, so the leak check can fail");
  return n;
}

test(
  "500 open/receive/close cycles with receives pending at close leak no handle, fd, event or Winsock start-up",
  async () => {
    // Warm up: the first socket loads the libraries and starts Winsock's own threads and handles.
    listenDatagram({ hostname: "127.0.0.1" }).close();
    await sleep(100);
    const stats = () =>
      onWindows
        ? { ...winsockStats(), handles: openHandles() }
        : { waiting: 0, events: 0, startups: posixStats().open, handles: openHandles() };
    const base = stats();
    const tx = await Sender.open("udp4");
    try {
      for (let i = 0; i < 500; i++) {
        const conn = listenDatagram({ hostname: i % 2 ? "127.0.0.1" : "::1" });
        if (i % 5 === 0 && i % 2) {
          await tx.send("x", "127.0.0.1", conn.addr.port);
          await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
        }
        const pending = [conn.receiveMsg(), conn.receiveMsg()];
        conn.close();
        for (const r of await Promise.allSettled(pending)) {
          assert.equal(r.status, "rejected");
          assert.ok((r as PromiseRejectedResult).reason instanceof SocketClosedError);
        }
        // Let the event loop turn, as a server's does: the completion callback of the closed socket runs
        // now. Without it, each of hundreds of callbacks holds a thread-pool thread until the loop turns,
        // and Wine's pool grows by a thread (3 fds) per cycle until it trims idle threads 5 s later.
        await sleep(0);
      }
      // Closed sockets release their event once the system completes the pending peek.
      let now = stats();
      const slack = 12; // up to four more thread-pool threads (3 fds each under Wine); 500 leaked sockets would be 500
      for (
        let t = 0;
        // Up to 8 s: on a busy machine Wine's pool grows by more threads, and trims idle ones after 5 s.
        t < 400 && (now.waiting > 0 || now.events > base.events || now.handles > base.handles + slack);
        t++
      ) {
        await sleep(20);
        now = stats();
      }
      assert.equal(now.waiting, 0, "every wait fired and was unregistered");
      assert.equal(now.events, base.events, "every event was closed");
      assert.equal(
        now.startups,
        base.startups,
        onWindows ? "WSAStartup and WSACleanup balance" : "every socket's fd and eventfd were closed",
      );
      assert.ok(now.handles <= base.handles + slack, `handles ${base.handles} -> ${now.handles}`);
    } finally {
      await tx.close();
    }
  },
  { timeout: 120_000 },
);

test("a socket whose receives were all aborted does not keep the process alive", async () => {
  const { spawnSync } = await import("node:child_process");
  const args = runtime === "deno"
    ? ["run", "-A", "tests/runtime/fixtures/idle_exit.ts"]
    : ["tests/runtime/fixtures/idle_exit.ts"];
  const t0 = performance.now();
  const child = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 20_000 });
  assert.equal(child.status, 0, `${child.error ?? ""} ${child.stderr}`);
  assert.match(child.stdout, /aborted: TimeoutError\nend of script, socket still open/);
  assert.ok(performance.now() - t0 < 15_000);
}, { timeout: 30_000 });
