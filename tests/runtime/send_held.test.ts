// batchSends: plain sendMsg calls are held (copied, resolved at once) and go together — one sendmmsg on
// Linux — when 64 are held, when the event loop turns, before any other send and at close; a held
// datagram the system refuses is reported by the next send call (which sends nothing) or flushSends().
import assert from "node:assert/strict";
import { listenDatagram, SocketError } from "../../mod.ts";
import { runtime, test, underWine } from "./harness.ts";
import { netnsUnavailable, shapedLink } from "./netns.ts";
import { counter, lastJson, sender } from "./shaped_pair.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (d: Uint8Array) => new TextDecoder().decode(d);
const receive = (rx: ReturnType<typeof listenDatagram>) => rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
/** An IPv6 destination for a socket bound to 127.0.0.1: the system refuses it (Linux EAFNOSUPPORT, Winsock WSAEFAULT...). */
const REFUSED = /^(EAFNOSUPPORT|EINVAL|WSAEAFNOSUPPORT|WSAEFAULT|WSAEINVAL|WSAEOPNOTSUPP)$/;

test(`batchSends (${runtime}): 150 held sends resolve at once and arrive in order, byte for byte, from the chosen source`, async () => {
  using rx = listenDatagram({ hostname: "0.0.0.0", receiveBufferSize: 1 << 20 });
  using tx = listenDatagram({ hostname: "0.0.0.0", batchSends: true });
  const to = { hostname: "127.0.0.1", port: rx.addr.port };
  const buffer = new Uint8Array(8);
  for (let i = 0; i < 150; i++) {
    buffer.set(enc(`h${String(i).padStart(3, "0")}`));
    // Resolved with the byte count although nothing may have gone yet; the buffer is reused at once.
    assert.equal(await tx.sendMsg(buffer.subarray(0, 4), to, { localAddr: { hostname: "127.0.0.3" } }), 4);
  }
  for (let i = 0; i < 150; i++) {
    const m = await receive(rx);
    assert.equal(dec(m.data), `h${String(i).padStart(3, "0")}`, `datagram ${i} in order, as it was at its call`);
    assert.equal(m.remoteAddr.port, tx.addr.port);
    // Wine's WSASendMsg drops control data: the source is the system's there.
    if (!underWine) assert.equal(m.remoteAddr.hostname, "127.0.0.3");
  }
});

test(`batchSends (${runtime}): one held send goes when the event loop turns, and at close`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  const tx = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
  await tx.sendMsg(enc("turn"), rx.addr);
  assert.equal(rx.tryReceiveMsg(), null, "held: nothing was sent within the call");
  assert.equal(dec((await receive(rx)).data), "turn");
  void tx.sendMsg(enc("close"), rx.addr);
  tx.close();
  assert.equal(dec((await receive(rx)).data), "close", "close() sent what was held");
});

test(`batchSends (${runtime}): a send that is not held goes after the held ones (call order kept)`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
  await tx.sendMsg(enc("held-1"), rx.addr);
  await tx.sendMsg(enc("held-2"), rx.addr);
  // With a signal a send is not held; trySendMsg and sendMsgs are not either.
  await tx.sendMsg(enc("signalled"), rx.addr, { signal: new AbortController().signal });
  await tx.sendMsg(enc("held-3"), rx.addr);
  assert.equal(tx.trySendMsg(enc("try"), rx.addr), 3);
  await tx.sendMsg(enc("held-4"), rx.addr);
  assert.deepEqual(await tx.sendMsgs([{ data: enc("batch"), remoteAddr: rx.addr }]), { sent: 1, error: null });
  const got = [];
  for (let i = 0; i < 7; i++) got.push(dec((await receive(rx)).data));
  assert.deepEqual(got, ["held-1", "held-2", "signalled", "held-3", "try", "held-4", "batch"]);
});

test(`batchSends (${runtime}): a held datagram the system refuses is reported by the next send, which sends nothing; the ones around it go`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
  const bad = { hostname: "::1", port: rx.addr.port };
  await tx.sendMsg(enc("before"), rx.addr);
  await tx.sendMsg(enc("bad"), bad); // resolved: the refusal comes when it goes
  await tx.sendMsg(enc("bad-2"), bad);
  await tx.sendMsg(enc("after"), rx.addr);
  assert.equal(dec((await receive(rx)).data), "before");
  assert.equal(dec((await receive(rx)).data), "after", "the held datagrams after the refused ones went");
  await assert.rejects(tx.sendMsg(enc("not sent"), rx.addr), (e: unknown) => {
    assert.ok(e instanceof SocketError, String(e));
    assert.match(e.code, REFUSED);
    assert.match(
      e.message,
      /a datagram to ::1:\d+ held by batchSends was refused \(and 1 more held datagram after it\); this call sent nothing/,
    );
    assert.equal(e.address, "::1");
    assert.equal(e.port, rx.addr.port);
    assert.ok((e as { cause?: unknown }).cause instanceof SocketError, "the system's own error is the cause");
    return true;
  });
  // Reported once: the next calls send again.
  await tx.sendMsg(enc("again"), rx.addr);
  assert.equal(dec((await receive(rx)).data), "again");
  await tx.sendMsg(enc("bad-3"), bad);
  assert.throws(() => tx.trySendMsg(enc("not sent either"), rx.addr), (e: unknown) => e instanceof SocketError);
  await tx.sendMsg(enc("bad-4"), bad);
  const r = await tx.sendMsgs([{ data: enc("nor this"), remoteAddr: rx.addr }]);
  assert.equal(r.sent, 0);
  assert.ok(r.error instanceof SocketError && REFUSED.test(r.error.code), String(r.error));
  assert.equal(tx.trySendMsg(enc("last"), rx.addr), 4);
  assert.equal(dec((await receive(rx)).data), "last", "nothing of the refused calls arrived before it");
});

test(`batchSends (${runtime}): an answer to UDP port 0 (a forged sender) is not held: its own sendMsg rejects, no other send is blamed`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
  await tx.sendMsg(enc("before"), rx.addr); // held
  await assert.rejects(tx.sendMsg(enc("to port 0"), { hostname: "127.0.0.1", port: 0 }), (e: unknown) => {
    assert.ok(e instanceof SocketError, String(e));
    assert.match(e.code, /^(EINVAL|WSAEADDRNOTAVAIL)$/);
    assert.match(e.message, /UDP port 0 cannot be sent to .*only this datagram is refused/);
    return true;
  });
  // The next client's answer is held and sent as if nothing had happened; nothing is reported later.
  await tx.sendMsg(enc("after"), rx.addr);
  await tx.flushSends();
  assert.equal(dec((await receive(rx)).data), "before");
  assert.equal(dec((await receive(rx)).data), "after");
  assert.equal(tx.trySendMsg(enc("last"), rx.addr), 4);
  assert.equal(dec((await receive(rx)).data), "last");
});

test(`batchSends (${runtime}): flushSends() sends what is held now, and rejects with a refusal no call reported`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
  await tx.sendMsg(enc("one"), rx.addr);
  await tx.flushSends();
  assert.equal(dec(rx.tryReceiveMsg()?.data ?? enc("nothing")), "one", "sent by flushSends, before the loop turned");
  await tx.sendMsg(enc("bad"), { hostname: "::1", port: rx.addr.port });
  await assert.rejects(tx.flushSends(), (e: unknown) => e instanceof SocketError && REFUSED.test(e.code));
  await tx.flushSends(); // reported once
  await tx.sendMsg(enc("two"), rx.addr);
  assert.equal(dec((await receive(rx)).data), "two");
  // Without batchSends, flushSends resolves once every send went.
  using plain = listenDatagram({ hostname: "127.0.0.1" });
  await plain.sendMsg(enc("plain"), rx.addr);
  await plain.flushSends();
  assert.equal(dec((await receive(rx)).data), "plain");
});

test(`batchSends (${runtime}): an echo loop over messages() answers every request from its arrival address`, async () => {
  using server = listenDatagram({ hostname: "0.0.0.0", receiveBufferSize: 1 << 20, batchSends: true });
  using client = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 1 << 20 });
  const loop = (async () => {
    for await (const m of server.messages()) {
      await server.sendMsg(m.data, m.remoteAddr, { localAddr: m.localAddr ?? undefined });
    }
  })();
  const N = 300;
  const to = { hostname: "127.0.0.2", port: server.addr.port };
  const sent = await client.sendMsgs(Array.from({ length: N }, (_, i) => ({ data: enc(`e${i}`), remoteAddr: to })));
  assert.deepEqual(sent, { sent: N, error: null });
  const seen = new Set<string>();
  for (let i = 0; i < N; i++) {
    const m = await receive(client);
    seen.add(dec(m.data));
    if (!underWine) assert.equal(m.remoteAddr.hostname, "127.0.0.2", "answered from the address the request reached");
  }
  assert.equal(seen.size, N, "every request answered once");
  server.close();
  await loop;
});

test(`batchSends (${runtime}): a held answer keeps its bytes when the user transfers the received buffer it came from`, async () => {
  using server = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
  using client = listenDatagram({ hostname: "127.0.0.1" });
  await client.sendMsg(enc("transferred"), server.addr);
  const m = await receive(server); // a fresh copy, carved from a chunk other copies share
  await server.sendMsg(m.data, m.remoteAddr); // held: a copy of its own
  const buffer = m.data.buffer as ArrayBuffer;
  structuredClone(buffer, { transfer: [buffer] }); // detaches m.data (and its chunk)
  assert.equal(m.data.byteLength, 0, "the received buffer is detached");
  assert.equal(dec((await receive(client)).data), "transferred", "the held answer went whole");
});

test(`batchSends (${runtime}): connect() and disconnect() send what is held first, to where it was meant to go`, async () => {
  using rx1 = listenDatagram({ hostname: "127.0.0.1" });
  using rx2 = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
  tx.connect(rx1.addr);
  await tx.sendMsg(enc("to the first peer")); // held, to the connected peer
  tx.connect(rx2.addr);
  await tx.sendMsg(enc("to the second peer"));
  tx.disconnect(); // without the release, the held datagram would have no destination
  await tx.flushSends();
  assert.equal(dec((await receive(rx1)).data), "to the first peer");
  assert.equal(dec((await receive(rx2)).data), "to the second peer");
  assert.equal(rx1.tryReceiveMsg(), null);
});

test(`batchSends (${runtime}): the option is a boolean`, () => {
  assert.throws(
    () => listenDatagram({ hostname: "127.0.0.1", batchSends: 1 as unknown as boolean }),
    (e: unknown) => e instanceof TypeError && /listenDatagram: batchSends must be a boolean/.test(e.message),
  );
});

test(
  `batchSends (${runtime}) on a shaped link: 3000 held sends fill the send buffer, wait for room in order, and flushSends() resolves once all went`,
  async () => {
    const COUNT = 3000;
    const { net, a, b, to } = shapedLink("sh", 15, "2mbit");
    using _net = net;
    const port = 40000 + (Date.now() % 20000);
    const rx = counter(net, b, port, COUNT);
    try {
      assert.equal((await rx.lines.next()).value, "ready", "the receiver started");
      const sent = await sender(net, a, to, port, COUNT, 200, "held").done;
      assert.equal(sent.code, 0, sent.stderr);
      const s = lastJson(sent.stdout);
      const got = await rx.done;
      assert.equal(got.code, 0, got.stderr);
      const r = lastJson(got.stdout);
      assert.equal(s.resolved, COUNT, "every held send resolved with its size");
      // 3000 datagrams of 200 bytes take 2.4 s at 2 Mbit/s: flushSends waited for the link, nothing was dropped.
      assert.ok(s.seconds > 1.5, `flushSends resolved after ${s.seconds.toFixed(2)} s`);
      assert.equal(r.received, COUNT, `every datagram arrived (missing ${r.missing})`);
      assert.equal(r.duplicates, 0, "no datagram was received twice");
      assert.equal(r.inOrder, true, `in order (${r.late} came after a higher number, first ${r.firstLate})`);
      // Closed while held datagrams wait for room: flushSends() says so with the closed error, not a refusal.
      const closed = await sender(net, a, to, port + 1, COUNT, 200, "held-close").done;
      assert.equal(closed.code, 0, closed.stderr);
      assert.deepEqual(lastJson(closed.stdout), { flushError: "SocketClosedError" });
    } finally {
      rx.kill();
    }
  },
  { timeout: 60_000, windows: false, skip: netnsUnavailable() },
);
