// Many sockets waiting at once: any number wait, each gets its own datagram, and the runtime's own
// I/O is not starved while they wait (Deno's blocking pool, the old per-socket poll, held one thread each).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { type DatagramConn, listenDatagram, SocketError } from "../../mod.ts";
import { runtime, Sender, sleep, test, underWine } from "./harness.ts";
import { fileLimit, setFileLimit } from "./raw_posix.ts";

/** Opens `n` sockets, starts one receive on each, checks the filesystem answers, then feeds them all. */
async function manyWaiting(n: number): Promise<{ openMs: number; fsMs: number; deliverMs: number }> {
  const t0 = performance.now();
  const conns: DatagramConn[] = [];
  const tx = await Sender.open("udp4");
  try {
    for (let i = 0; i < n; i++) conns.push(listenDatagram({ hostname: "127.0.0.1" }));
    const pending = conns.map((c) => c.receiveMsg({ signal: AbortSignal.timeout(60_000) }));
    await sleep(50);
    const t1 = performance.now();
    // While every socket waits, the runtime's file I/O must still complete (Deno: from its blocking pool).
    const text = await Promise.race([
      readFile(new URL("./load.test.ts", import.meta.url), "utf8"),
      sleep(10_000).then(() => "timed out"),
    ]);
    assert.match(text, /^\/\/ Many sockets waiting at once/, "the filesystem answered while the sockets waited");
    if (runtime === "deno") {
      const D = (globalThis as unknown as { Deno: { stat(p: URL): Promise<{ isFile: boolean }> } }).Deno;
      assert.equal((await D.stat(new URL("./load.test.ts", import.meta.url))).isFile, true);
    }
    const t2 = performance.now();
    for (let i = 0; i < n; i++) await tx.send(`to ${i}`, "127.0.0.1", conns[i].addr.port);
    const got = await Promise.all(pending);
    for (let i = 0; i < n; i++) {
      assert.equal(new TextDecoder().decode(got[i].data), `to ${i}`, `socket ${i} got its own datagram`);
      assert.equal(got[i].localAddr?.hostname, "127.0.0.1");
    }
    return { openMs: t1 - t0, fsMs: t2 - t1, deliverMs: performance.now() - t2 };
  } finally {
    for (const c of conns) c.close();
    await tx.close();
  }
}

test(
  `1,000 sockets wait at once (${runtime}): each gets its datagram, and file I/O still answers meanwhile`,
  async () => {
    const t = await manyWaiting(1000);
    console.log(
      `  1,000 waiting sockets: opened and armed in ${t.openMs.toFixed(0)} ms, file read ${
        t.fsMs.toFixed(1)
      } ms, 1,000 delivered in ${t.deliverMs.toFixed(0)} ms`,
    );
  },
  { timeout: underWine ? 300_000 : 60_000 },
);

test("more sockets wait than any fixed table held (4,500; Bun's poller had 4,096 slots)", async () => {
  if (fileLimit().soft < 5000n) setFileLimit(fileLimit().hard < 6000n ? fileLimit().hard : 6000n);
  assert.ok(fileLimit().soft >= 4600n, "RLIMIT_NOFILE must allow 4,500 sockets for this test");
  const t = await manyWaiting(4500);
  console.log(`  4,500 waiting sockets: delivered in ${t.deliverMs.toFixed(0)} ms`);
}, { windows: false, timeout: 120_000 });

test(
  "poll itself failing (EINVAL: more fds than RLIMIT_NOFILE) rejects every waiting receive with that error, no spin",
  async () => {
    const before = fileLimit();
    const conns = Array.from({ length: 40 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    const late = listenDatagram({ hostname: "127.0.0.1" });
    try {
      const pending = conns.map((c) => c.receiveMsg());
      await sleep(20);
      // The running poll keeps its fds; the next one (made when `late` starts waiting) has 42 > 20.
      setFileLimit(20n);
      const lateReceive = late.receiveMsg();
      const results = await Promise.race([Promise.allSettled([...pending, lateReceive]), sleep(5000).then(() => null)]);
      setFileLimit(before.soft);
      assert.ok(results, "every receive settled");
      for (const r of results) {
        assert.equal(r.status, "rejected");
        const e = (r as PromiseRejectedResult).reason;
        assert.ok(e instanceof SocketError, String(e));
        assert.equal(e.code, "EINVAL");
        assert.equal(e.syscall, "poll");
      }
      // Waiting works again once the limit allows it.
      const tx = await Sender.open("udp4");
      const again = late.receiveMsg({ signal: AbortSignal.timeout(5000) });
      await tx.send("again", "127.0.0.1", late.addr.port);
      assert.equal(new TextDecoder().decode((await again).data), "again");
      await tx.close();
    } finally {
      setFileLimit(before.soft);
      for (const c of conns) c.close();
      late.close();
    }
  },
  { windows: false },
);
