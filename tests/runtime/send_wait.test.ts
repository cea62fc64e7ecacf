// Sends wait for room in the send buffer instead of failing with EAGAIN / WSAEWOULDBLOCK. Loopback
// never fills a UDP send buffer (the receiver takes each datagram at once, or drops it), so this runs
// over a veth link shaped to 2 Mbit/s between two namespaces the test makes: datagrams wait in the
// qdisc, still charged to the sending socket, and its buffer fills.
import assert from "node:assert/strict";
import { listenDatagram, SocketClosedError } from "../../mod.ts";
import { child, runtime, sleep, test } from "./harness.ts";
import { netnsUnavailable, shapedLink, wineInNamespace } from "./netns.ts";
import { counter, lastJson, scriptIn, sender } from "./shaped_pair.ts";

const why = netnsUnavailable();
const COUNT = 3000;
const SIZE = 200;

test(
  `sends wait for room on a shaped link (${runtime}): ${COUNT} sends all resolve in order and all arrive`,
  async () => {
    const { net, a, b, to } = shapedLink("sw", 7, "2mbit");
    using _net = net;
    const port = 40000 + (Date.now() % 20000);
    const rx = counter(net, b, port, COUNT);
    try {
      const first = await rx.lines.next();
      assert.equal(first.value, "ready", "the receiver started");
      const sent = await sender(net, a, to, port, COUNT, SIZE).done;
      assert.equal(sent.code, 0, sent.stderr);
      const s = lastJson(sent.stdout);
      const got = await rx.done;
      assert.equal(got.code, 0, got.stderr);
      const r = lastJson(got.stdout);
      console.log(
        `  ${s.immediate} sent at once, then the buffer was full; ${s.waited} waited for room; all resolved in ${
          s.seconds.toFixed(2)
        } s; ${r.received} arrived`,
      );
      assert.ok(s.immediate > 0 && s.immediate < COUNT, `the send buffer filled (${s.immediate} went at once)`);
      assert.equal(s.resolved, s.waited, "every waiting send resolved with its size");
      assert.equal(s.ordered, true, "waiting sends completed in call order");
      assert.equal(r.received, COUNT, `every datagram arrived (missing ${r.missing})`);
      assert.equal(r.duplicates, 0, "no datagram was received twice");
      assert.equal(r.inOrder, true, `in order (${r.late} came after a higher number, first ${r.firstLate})`);
      assert.equal(r.local, "198.18.7.2");
    } finally {
      rx.kill();
    }
  },
  { timeout: 60_000, windows: false, skip: why },
);

test(
  "a send waiting for room: close() rejects it with SocketClosedError, signal aborts it, trySendMsg yields to it",
  async () => {
    // 8 kbit/s: one 1,000-byte datagram leaves per second, so the first waiting send cannot find room during
    // the 10 ms pause however slowly a loaded machine runs it (at 64 kbit/s, 125 ms sometimes did).
    const { net, a } = shapedLink("sc", 8, "8kbit");
    using _net = net;
    // The sockets are made inside namespace a by a child; this process checks the outcome it prints.
    const script = `
    import { listenDatagram, SocketClosedError } from "${new URL("../../mod.ts", import.meta.url).href}";
    const conn = listenDatagram({ hostname: "0.0.0.0" });
    const to = { hostname: "198.18.8.2", port: 9 };
    const d = new Uint8Array(1000);
    let n = 0;
    while (conn.trySendMsg(d, to) !== null && n < 100000) n++;
    const ac = new AbortController();
    const waiting = Promise.allSettled([conn.sendMsg(d, to), conn.sendMsg(d, to, { signal: ac.signal }), conn.sendMsg(d, to)]);
    const yielded = conn.trySendMsg(d, to);
    ac.abort();
    await new Promise((r) => setTimeout(r, 10));
    conn.close();
    const out = await waiting;
    const after = await conn.sendMsg(d, to).catch((e) => e);
    console.log(JSON.stringify({ n, yielded, out: out.map((o) => o.status === "rejected" ? (o.reason instanceof SocketClosedError ? "closed" : o.reason?.name) : "sent"), after: after instanceof SocketClosedError }));
  `;
    const { r, o } = await scriptIn(net, a, "send_close", script, 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(o.n > 0 && o.n < 100000, "the buffer filled");
    assert.equal(o.yielded, null, "trySendMsg does not jump the queue");
    assert.deepEqual(o.out, ["closed", "AbortError", "closed"]);
    assert.equal(o.after, true);
  },
  { timeout: 30_000, windows: false, skip: why },
);

test("sendMsg on loopback resolves at once with the byte count; bad signal is a TypeError", async () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  assert.equal(await conn.sendMsg(new Uint8Array(5), rx.addr), 5);
  await assert.rejects(
    conn.sendMsg(new Uint8Array(5), rx.addr, { signal: {} as AbortSignal }),
    (e: Error) => e instanceof TypeError && /signal/.test(e.message),
  );
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    conn.sendMsg(new Uint8Array(5), rx.addr, { signal: ac.signal }),
    (e: Error) => e.name === "AbortError",
  );
  conn.close();
  await assert.rejects(conn.sendMsg(new Uint8Array(5), rx.addr), (e: Error) => e instanceof SocketClosedError);
  await sleep(0);
});

// The Windows path (FD_WRITE through WSAEventSelect and a thread-pool wait), under Wine in a namespace
// (see wineInNamespace): Linux Deno drives Windows Deno, Linux Bun Windows Bun, Linux Node Windows Node.
test(
  `Windows ${
    runtime === "deno" ? "Deno" : runtime === "node" ? "Node" : "Bun"
  } under Wine: sends wait for room (FD_WRITE) on a shaped link, all resolve in order and arrive`,
  async () => {
    const { net, a, b, to } = shapedLink("sv", 6, "2mbit");
    using _net = net;
    const port = 40000 + (Date.now() % 20000);
    const rx = counter(net, b, port, COUNT, 60_000, 90_000);
    try {
      assert.equal((await rx.lines.next()).value, "ready");
      wineInNamespace.stop();
      const tx = await child([
        ...net.run(a),
        ...wineInNamespace.argv(runtime),
        "tests/runtime/fixtures/shaped_sender.ts",
        to,
        String(port),
        String(COUNT),
        String(SIZE),
      ], 120_000).done;
      assert.equal(tx.code, 0, tx.stderr.split("\n").filter((l) => !/directory mismatch/.test(l)).join("\n"));
      const s = JSON.parse(tx.stdout.trim().split(/\r?\n/).pop()!);
      const r = JSON.parse((await rx.done).stdout.trim().split("\n").pop()!);
      console.log(
        `  Wine: ${s.immediate} sent at once, ${s.waited} waited for FD_WRITE; all resolved in ${
          s.seconds.toFixed(2)
        } s; ${r.received} arrived`,
      );
      assert.ok(s.immediate > 0 && s.immediate < COUNT, `the send buffer filled (${s.immediate} went at once)`);
      assert.equal(s.resolved, s.waited);
      assert.equal(s.ordered, true);
      assert.equal(r.received, COUNT, `every datagram arrived (missing ${r.missing})`);
    } finally {
      rx.kill();
      wineInNamespace.stop();
    }
  },
  { timeout: 240_000, windows: false, skip: wineInNamespace.unavailable(runtime) },
);
