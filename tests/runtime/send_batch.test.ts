// sendMsgs / trySendMsgs: many datagrams, each with its own destination, source and hop limit, in one
// sendmmsg on Linux (one call each elsewhere); partial sends reported exactly.
import assert from "node:assert/strict";
import { connectDatagram, listenDatagram, SocketError } from "../../mod.ts";
import { runtime, test, underWine } from "./harness.ts";
import { netnsUnavailable, shapedLink } from "./netns.ts";
import { counter, lastJson, sender } from "./shaped_pair.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (d: Uint8Array) => new TextDecoder().decode(d);

test(`sendMsgs (${runtime}): 200 datagrams to two receivers from two source addresses, in order, each with its own options`, async () => {
  using rx1 = listenDatagram({ hostname: "0.0.0.0", receiveBufferSize: 1 << 20, hopLimit: true });
  using rx2 = listenDatagram({ hostname: "0.0.0.0", receiveBufferSize: 1 << 20, hopLimit: true });
  using tx = listenDatagram({ hostname: "0.0.0.0" });
  const messages = Array.from({ length: 200 }, (_, i) => ({
    data: enc(`m${i}`),
    remoteAddr: { hostname: "127.0.0.1", port: (i % 2 ? rx2 : rx1).addr.port },
    localAddr: { hostname: i % 4 < 2 ? "127.0.0.2" : "127.0.0.3" },
    hopLimit: 10 + (i % 50),
  }));
  const r = await tx.sendMsgs(messages);
  assert.deepEqual(r, { sent: 200, error: null });
  for (const [rx, parity] of [[rx1, 0], [rx2, 1]] as const) {
    for (let i = parity; i < 200; i += 2) {
      const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
      assert.equal(dec(m.data), `m${i}`, "in order");
      // Wine's WSASendMsg drops control data: the source and hop limit are the system's there.
      if (underWine) continue;
      assert.equal(m.hopLimit, 10 + (i % 50));
      assert.equal(m.remoteAddr.hostname, i % 4 < 2 ? "127.0.0.2" : "127.0.0.3");
    }
  }
});

test(`sendMsgs (${runtime}): a partial send is reported exactly — how many went, and the first error`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  const to = rx.addr;
  const messages = Array.from(
    { length: 10 },
    (_, i) => ({ data: enc(`p${i}`), remoteAddr: i === 5 ? { hostname: "::1", port: to.port } : to }),
  );
  const r = tx.trySendMsgs(messages);
  assert.equal(r.sent, 5, "the five before the bad one went");
  assert.ok(r.error instanceof SocketError, String(r.error));
  // Linux EAFNOSUPPORT; Windows WSAEAFNOSUPPORT or WSAEFAULT; Wine WSAEOPNOTSUPP.
  assert.match(r.error.code, /^(EAFNOSUPPORT|EINVAL|WSAEAFNOSUPPORT|WSAEFAULT|WSAEINVAL|WSAEOPNOTSUPP)$/);
  for (let i = 0; i < 5; i++) {
    assert.equal(dec((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data), `p${i}`);
  }
  // Bad input is refused before anything goes, naming the message.
  assert.throws(
    () =>
      tx.trySendMsgs([{ data: enc("ok"), remoteAddr: to }, { data: "no" as unknown as Uint8Array, remoteAddr: to }]),
    (e: Error) => e instanceof TypeError && /trySendMsgs: messages\[1\]: data must be a Uint8Array/.test(e.message),
  );
  await assert.rejects(
    tx.sendMsgs("x" as unknown as []),
    (e: Error) => e instanceof TypeError && /messages must be an array/.test(e.message),
  );
  assert.equal(tx.tryReceiveMsg(), null);
  assert.equal(rx.tryReceiveMsg(), null, "nothing of the refused batch was sent");
  // On a connected socket the messages need no address.
  using client = connectDatagram({ hostname: "127.0.0.1", port: to.port });
  assert.deepEqual(await client.sendMsgs([{ data: enc("c1") }, { data: enc("c2") }]), { sent: 2, error: null });
  assert.equal(dec((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data), "c1");
  assert.equal(dec((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data), "c2");
});

test(
  `sendMsgs (${runtime}) waits for room on a shaped link: 3000 datagrams in one call, all sent and all arrive`,
  async () => {
    const { net, a, b, to } = shapedLink("sb", 9, "2mbit");
    using _net = net;
    const port = 40000 + (Date.now() % 20000);
    const rx = counter(net, b, port, 3000);
    try {
      assert.equal((await rx.lines.next()).value, "ready");
      const tx = await sender(net, a, to, port, 3000, 200, "batch").done;
      assert.equal(tx.code, 0, tx.stderr);
      const s = lastJson(tx.stdout);
      const r = lastJson((await rx.done).stdout);
      assert.ok(s.immediate > 0 && s.immediate < 3000, `the buffer filled (${s.immediate} went at once)`);
      assert.equal(s.resolved, s.waited);
      assert.equal(r.received, 3000, `missing ${r.missing}`);
      assert.equal(r.duplicates, 0, "no datagram was received twice");
      assert.equal(r.inOrder, true, `in order (${r.late} came after a higher number, first ${r.firstLate})`);
    } finally {
      rx.kill();
    }
  },
  { windows: false, skip: netnsUnavailable(), timeout: 60_000 },
);

test(`sendMsgs (${runtime}): the same batch array sent again with its addresses and sources changed in place goes to the new ones`, async () => {
  using rx1 = listenDatagram({ hostname: "127.0.0.1" });
  using rx2 = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "0.0.0.0" });
  const frozen1 = Object.freeze({ transport: "udp" as const, hostname: "127.0.0.1", port: rx1.addr.port });
  const mutable = { hostname: "127.0.0.1", port: rx1.addr.port };
  const source = { hostname: "127.0.0.2" };
  const batch = [{ data: enc("x0"), remoteAddr: frozen1 as { hostname: string; port: number }, localAddr: source }, {
    data: enc("x1"),
    remoteAddr: mutable,
    localAddr: source,
  }];
  assert.deepEqual(await tx.sendMsgs(batch), { sent: 2, error: null });
  mutable.port = rx2.addr.port;
  source.hostname = "127.0.0.3";
  batch[0].remoteAddr = Object.freeze({ transport: "udp" as const, hostname: "127.0.0.1", port: rx2.addr.port });
  assert.deepEqual(await tx.sendMsgs(batch), { sent: 2, error: null });
  const got = async (rx: typeof rx1) => {
    const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
    return `${dec(m.data)} from ${m.remoteAddr.hostname}`;
  };
  assert.deepEqual(
    [await got(rx1), await got(rx1)],
    underWine ? ["x0 from 127.0.0.1", "x1 from 127.0.0.1"] : ["x0 from 127.0.0.2", "x1 from 127.0.0.2"],
  );
  assert.deepEqual(
    [await got(rx2), await got(rx2)],
    underWine ? ["x0 from 127.0.0.1", "x1 from 127.0.0.1"] : ["x0 from 127.0.0.3", "x1 from 127.0.0.3"],
  );
});
