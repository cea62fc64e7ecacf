// The connection's queues (issue 19): messages()' return() takes back its waiting receive; aborting
// many waiting receives costs each one a constant; sends that wait keep their own copy of the caller's
// localAddr (batches, and segmented sends over 64 segments).
import assert from "node:assert/strict";
import { listenDatagram } from "../../mod.ts";
import { runtime, test } from "./harness.ts";
import { netnsUnavailable, shapedLink } from "./netns.ts";
import { scriptIn } from "./shaped_pair.ts";

test(`messages() (${runtime}): return() cancels the pending next(), so the next datagram is not swallowed`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  const it = rx.messages();
  const pending = it.next();
  assert.deepEqual(await it.return!(), { value: undefined, done: true });
  assert.deepEqual(await pending, { value: undefined, done: true }, "the waiting next() ends the iteration");
  await tx.sendMsg(new Uint8Array([0xa]), rx.addr);
  await tx.sendMsg(new Uint8Array([0xb]), rx.addr);
  assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data[0], 0xa, "A is not swallowed");
  assert.equal(rx.tryReceiveMsg()?.data[0], 0xb);
  // With a signal of the caller's, that signal still aborts the iteration with its reason.
  const ac = new AbortController();
  const it2 = rx.messages({ signal: ac.signal });
  const p2 = it2.next();
  ac.abort(new Error("stop"));
  await assert.rejects(p2, /stop/);
});

test(`receives (${runtime}): aborting 20,000 waiting receives does no search or splice of the queue per abort`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  const N = 20_000;
  const controllers = Array.from({ length: N }, () => new AbortController());
  const waits = controllers.map((c) => rx.receiveMsg({ signal: c.signal }).catch((e) => e));
  const last = rx.receiveMsg({ signal: AbortSignal.timeout(10_000) }).then((m) => m.data[0], (e) => e);
  // A per-abort indexOf/splice over the queue is quadratic in all; count such calls on long arrays.
  const proto = Array.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const originals = { indexOf: proto.indexOf, splice: proto.splice };
  let longScans = 0;
  for (const name of ["indexOf", "splice"] as const) {
    const original = originals[name];
    proto[name] = function (this: unknown[], ...args: unknown[]) {
      if (this.length > 1000) longScans++;
      return original.apply(this, args);
    };
  }
  try {
    for (const c of controllers) c.abort(new Error("aborted"));
  } finally {
    proto.indexOf = originals.indexOf;
    proto.splice = originals.splice;
  }
  assert.equal(longScans, 0, "no scan of the waiting queue per abort");
  const reasons = await Promise.all(waits);
  assert.ok(reasons.every((e) => e instanceof Error && e.message === "aborted"));
  await tx.sendMsg(new Uint8Array([5]), rx.addr);
  assert.equal(await last, 5, "the receive left waiting gets the datagram");
});

// Sends wait only when the send buffer is full, which loopback never is: a shaped link between two
// namespaces (as in send_wait.test.ts) fills it. A child in namespace a fills the buffer, queues a
// batch and a segmented send of 100 segments from a mutable localAddr, then points that object at an
// interface that does not exist. Copied at the call, every waiting datagram still goes.
const why = netnsUnavailable();
test(
  `waiting sends (${runtime}): sendMsgs batches and segmented sends over 64 segments copy localAddr at the call`,
  async () => {
    const { net, a } = shapedLink("cw", 12, "2mbit");
    using _net = net;
    const script = `
    import { listenDatagram } from "${new URL("../../mod.ts", import.meta.url).href}";
    const conn = listenDatagram({ hostname: "0.0.0.0" });
    const to = { hostname: "198.18.12.2", port: 9 };
    const d = new Uint8Array(1000);
    let n = 0;
    while (conn.trySendMsg(d, to) !== null && n < 100000) n++;
    const local = { hostname: "198.18.12.1" };
    const batch = conn.sendMsgs(Array.from({ length: 10 }, () => ({ data: new Uint8Array(200), remoteAddr: to, localAddr: local })));
    const segmented = conn.sendMsg(new Uint8Array(100 * 100), to, { segmentSize: 100, localAddr: local });
    local.hostname = "203.0.113.9";
    local.interfaceIndex = 999999;
    const b = await batch;
    const s = await segmented.catch((e) => String(e));
    console.log(JSON.stringify({ n, batch: { sent: b.sent, error: b.error === null ? null : String(b.error) }, segmented: s }));
    conn.close();
  `;
    const { r, o } = await scriptIn(net, a, "conn_copy", script, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(o.n > 0 && o.n < 100000, "the buffer filled");
    assert.deepEqual(o.batch, { sent: 10, error: null }, "the waiting batch went from the address given at the call");
    assert.equal(o.segmented, 10000, "the waiting segmented send went from the address given at the call");
  },
  { timeout: 60_000, windows: false, skip: why },
);
