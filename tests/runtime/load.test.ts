// Many sockets waiting at once: any number wait, each gets its own datagram, and the runtime's own
// I/O is not starved while they wait (Deno's blocking pool, the old per-socket poll, held one thread each).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { type DatagramConn, listenDatagram } from "../../mod.ts";
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
  "the fd limit lowered below the number of waiting sockets: no wait fails (an epoll instance has no nfds limit), all are delivered",
  async () => {
    const before = fileLimit();
    const conns = Array.from({ length: 40 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    const late = listenDatagram({ hostname: "127.0.0.1" });
    const tx = await Sender.open("udp4");
    try {
      const pending = conns.map((c) => c.receiveMsg({ signal: AbortSignal.timeout(5000) }));
      await sleep(20);
      // poll(2) refused more fds than RLIMIT_NOFILE (EINVAL for every socket); a wait on epoll does not care.
      setFileLimit(20n);
      const lateReceive = late.receiveMsg({ signal: AbortSignal.timeout(5000) });
      await sleep(20);
      for (const c of [...conns, late]) await tx.send("again", "127.0.0.1", c.addr.port);
      const results = await Promise.allSettled([...pending, lateReceive]);
      setFileLimit(before.soft);
      for (const r of results) assert.equal(r.status, "fulfilled", String((r as PromiseRejectedResult).reason));
    } finally {
      setFileLimit(before.soft);
      await tx.close();
      for (const c of conns) c.close();
      late.close();
    }
  },
  { windows: false },
);
