// Read-ahead arenas come back (issue 19 #3): of the arenas sockets give back, a small pool stays mapped
// and the rest are unmapped at once, so memory follows the sockets that hold datagrams now.
import assert from "node:assert/strict";
import { arenaPhase } from "../../bench/soak_lib.ts";
import { readAheadStats } from "../../ffi/posix/read_ahead.ts";
import { listenDatagram } from "../../mod.ts";
import { forceGC, onWindows, runtime, test } from "./harness.ts";

const linuxOnly = onWindows ? "read-ahead is Linux's (recvmmsg); Windows has one WSARecvMsg per datagram" : undefined;
const dec = (d: Uint8Array) => new TextDecoder().decode(d);

test(
  `arenas (${runtime}): 300 sockets holding datagrams read ahead, then closed: all but a pool of at most 8 arenas are unmapped, and the pool serves the next sockets`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    const start = readAheadStats();
    const sockets = Array.from({ length: 300 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    try {
      for (const rx of sockets) {
        tx.trySendMsgs(["a", "b", "c"].map((t) => ({ data: new TextEncoder().encode(t), remoteAddr: rx.addr })));
        assert.equal(dec((await rx.receiveMsg()).data), "a");
      }
      const holding = readAheadStats();
      assert.equal(
        holding.arenas - holding.free,
        start.arenas - start.free + 300,
        "one arena per socket holding datagrams",
      );
    } finally {
      for (const rx of sockets) rx.close();
    }
    const closed = readAheadStats();
    assert.ok(closed.free <= 8, `the pool: ${closed.free}`);
    assert.equal(closed.arenas, closed.free, "no socket holds one: every arena left is in the pool");
    assert.ok(closed.unmapped - start.unmapped >= 300 - 8, `unmapped: ${closed.unmapped - start.unmapped}`);
    // The pool serves: new sockets reading ahead one after another make no arena and unmap none.
    for (let i = 0; i < 20; i++) {
      using rx = listenDatagram({ hostname: "127.0.0.1" });
      tx.trySendMsgs(["x", "y"].map((t) => ({ data: new TextEncoder().encode(t), remoteAddr: rx.addr })));
      assert.equal(dec((await rx.receiveMsg()).data), "x");
      assert.equal(dec((await rx.receiveMsg()).data), "y");
    }
    const after = readAheadStats();
    assert.equal(after.arenas, closed.arenas);
    assert.equal(after.unmapped, closed.unmapped);
  },
  { skip: linuxOnly, timeout: 60_000 },
);

test(
  `arenas (${runtime}): after 300 sockets used, closed and collected, RSS comes back within 10 MB of where it started`,
  async () => {
    assert.ok(forceGC(), "the runtime must expose gc: Deno needs --v8-flags=--expose-gc, Node --expose-gc");
    const r = await arenaPhase(300);
    assert.ok(r.rssMB.held - r.rssMB.before > 10, `the sockets held their arenas' pages: ${JSON.stringify(r)}`);
    assert.ok(r.rssMB.after - r.rssMB.before <= 10, `RSS after the sockets closed: ${JSON.stringify(r)}`);
    assert.ok(r.arenasAfter <= 8, `arenas left: ${r.arenasAfter}`);
  },
  { skip: linuxOnly, timeout: 120_000 },
);
