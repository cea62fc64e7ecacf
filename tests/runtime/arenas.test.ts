// Read-ahead arenas come back (issue 19 #3): of the arenas sockets give back, a small pool stays mapped
// and the rest are unmapped at once, so memory follows the sockets that hold datagrams now.
import assert from "node:assert/strict";
import { arenaPhase } from "../../bench/soak_lib.ts";
import { readFileSync } from "node:fs";
import process from "node:process";
import { ARENA_BYTES, MAX_HELD, readAheadStats } from "../../ffi/posix/read_ahead.ts";
import { listenDatagram } from "../../mod.ts";
import { forceGC, onWindows, runtime, test } from "./harness.ts";

const linuxOnly = onWindows ? "read-ahead is Linux's (recvmmsg); Windows has one WSARecvMsg per datagram" : undefined;
const dec = (d: Uint8Array) => new TextDecoder().decode(d);

test(
  `arenas (${runtime}): 24 sockets holding datagrams read ahead, then closed: all but a pool of at most 8 arenas are unmapped, and the pool serves the next sockets`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    const start = readAheadStats();
    // Fewer than MAX_HELD (32), so that every socket gets an arena of its own.
    const sockets = Array.from({ length: 24 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    try {
      for (const rx of sockets) {
        tx.trySendMsgs(["a", "b", "c"].map((t) => ({ data: new TextEncoder().encode(t), remoteAddr: rx.addr })));
        assert.equal(dec((await rx.receiveMsg()).data), "a");
      }
      const holding = readAheadStats();
      assert.equal(
        holding.arenas - holding.free,
        start.arenas - start.free + 24,
        "one arena per socket holding datagrams",
      );
    } finally {
      for (const rx of sockets) rx.close();
    }
    const closed = readAheadStats();
    assert.ok(closed.free <= 8, `the pool: ${closed.free}`);
    // Sockets of other tests in this process may hold arenas: as many as before, no more.
    assert.ok(closed.arenas - closed.free <= start.arenas - start.free, `held: ${JSON.stringify({ start, closed })}`);
    assert.ok(closed.unmapped - start.unmapped >= 24 - 16, `unmapped: ${closed.unmapped - start.unmapped}`);
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
  `arenas (${runtime}): 200 sockets with three datagrams each hold at most MAX_HELD arenas; the others receive one at a time, nothing lost or reordered`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    const start = readAheadStats();
    const startHeld = start.arenas - start.free;
    const sockets = Array.from({ length: 200 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    try {
      for (const rx of sockets) {
        tx.trySendMsgs(["a", "b", "c"].map((t) => ({ data: new TextEncoder().encode(t), remoteAddr: rx.addr })));
      }
      for (const rx of sockets) assert.equal(dec((await rx.receiveMsg()).data), "a");
      const holding = readAheadStats();
      assert.equal(holding.arenas - holding.free, Math.max(startHeld, MAX_HELD), "arenas held: the cap");
      assert.ok(
        holding.declined - start.declined >= 200 - MAX_HELD,
        `fills declined: ${holding.declined - start.declined}`,
      );
      for (const rx of sockets) {
        assert.equal(dec((await rx.receiveMsg()).data), "b");
        assert.equal(dec((await rx.receiveMsg()).data), "c");
      }
    } finally {
      for (const rx of sockets) rx.close();
    }
    const closed = readAheadStats();
    assert.ok(closed.arenas - closed.free <= startHeld, `held after close: ${JSON.stringify({ start, closed })}`);
  },
  { skip: linuxOnly, timeout: 60_000 },
);

/** The arenas' mappings as the kernel counts them (/proc/self/smaps): how many, and their resident kB. */
function arenaMappings(): { count: number; rssKB: number } {
  const sizeKB = ARENA_BYTES / 1024;
  let count = 0;
  let rssKB = 0;
  let inArena = false;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const field = /^(\w+):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    if (field[1] === "Size") {
      inArena = Number(field[2]) === sizeKB;
      if (inArena) count++;
    } else if (field[1] === "Rss" && inArena) rssKB += Number(field[2]);
  }
  return { count, rssKB };
}

test(
  `arenas (${runtime}): the kernel's count — 24 sockets holding datagrams have 24 arena mappings resident; closed and collected, at most the pool's 8 remain`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1", packetInfo: false });
    const payload = new Uint8Array(1000).fill(1);
    const start = readAheadStats();
    // Arenas that other tests' sockets in this process hold (or that wait to be collected), and arena
    // mappings this module instance does not count (another Deno test module's, in the same process).
    const others = start.arenas - start.free;
    const base = arenaMappings();
    const sockets = Array.from({ length: 24 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    let held: { count: number; rssKB: number };
    try {
      for (const rx of sockets) {
        tx.trySendMsgs(Array.from({ length: 32 }, () => ({ data: payload, remoteAddr: rx.addr })));
        assert.equal((await rx.receiveMsg()).data.length, 1000);
      }
      held = arenaMappings();
    } finally {
      for (const rx of sockets) rx.close();
    }
    sockets.length = 0;
    forceGC();
    const after = arenaMappings();
    const stats = readAheadStats();
    assert.ok(held.count >= 24, `mapped while held: ${JSON.stringify(held)}`);
    // 32 datagrams in 32 slots: at least a page each.
    assert.ok(held.rssKB >= 24 * 32 * 4, `resident while held: ${JSON.stringify(held)}`);
    assert.equal(
      after.count - base.count,
      stats.arenas - start.arenas,
      "the kernel's mappings change as the arenas the module counts",
    );
    assert.ok(stats.arenas <= 8 + others, `mapped after close: ${JSON.stringify({ after, stats, others })}`);
    assert.ok(
      held.rssKB - after.rssKB >= (24 - 8) * 32 * 4,
      `resident pages given back: ${JSON.stringify({ held, after })}`,
    );
    // What npm run soak checks in a fresh process, measured here too (RSS not asserted: a test process's
    // heaps move it by more than the arenas left).
    const r = await arenaPhase(24);
    assert.ok(r.arenasAfter <= 8 + others, `arenas left: ${JSON.stringify(r)}`);
  },
  { skip: linuxOnly, timeout: 120_000 },
);

test(
  `arenas (${runtime}): when the last socket that reads ahead closes, the pool is unmapped too`,
  async () => {
    const start = readAheadStats();
    const sockets = Array.from({ length: 3 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    const tx = sockets[0];
    for (const rx of sockets) {
      tx.trySendMsgs(["a", "b"].map((t) => ({ data: new TextEncoder().encode(t), remoteAddr: rx.addr })));
      assert.equal(dec((await rx.receiveMsg()).data), "a");
    }
    assert.equal(readAheadStats().open, start.open + 3);
    for (const rx of sockets.slice(1)) rx.close();
    assert.ok(readAheadStats().free >= 2, "two sockets closed: their arenas are in the pool");
    sockets[0].close();
    const end = readAheadStats();
    assert.equal(end.open, start.open);
    // Sockets of other tests still open in this process keep the pool.
    if (end.open === 0) {
      assert.equal(end.free, 0, "the pool went with the last socket");
      assert.ok(end.arenas <= start.arenas - start.free, JSON.stringify({ start, end }));
    }
  },
  { skip: linuxOnly },
);

test(
  `arenas (${runtime}): a worker terminated while its 30 sockets hold datagrams read ahead leaves no arena mapped`,
  async () => {
    const { startWaitWorker } = await import("./fixtures/start_worker.ts");
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    const data = new Uint8Array(64);
    const before = arenaMappings().count;
    let during = 0;
    for (let round = 0; round < 3; round++) {
      const worker = await startWaitWorker({ port: 0, wait: true, count: 30, loop: true });
      const ports = worker.said as number[];
      let flooding = true;
      let next = 0;
      const flood = () => {
        if (!flooding) return;
        tx.trySendMsgs(Array.from({ length: 64 }, () => ({
          data,
          remoteAddr: { hostname: "127.0.0.1", port: ports[next++ % ports.length] },
        })));
        setImmediate(flood);
      };
      flood();
      await new Promise((r) => setTimeout(r, 150));
      during = Math.max(during, arenaMappings().count);
      await worker.terminate();
      flooding = false;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(during > before, `the workers held arenas (${before} before, ${during} during)`);
    // Node's environment cleanup hooks, and Deno's and Bun's thread-end destructor, unmap them as each
    // worker's thread ends.
    assert.equal(arenaMappings().count, before, "arena mappings after three terminated workers");
  },
  {
    skip: linuxOnly ??
      (process.arch === "x64"
        ? undefined
        : "only on x86-64 does code of ours run at a terminated worker's end that unmaps; elsewhere at most 40 arenas stay"),
    timeout: 60_000,
  },
);
