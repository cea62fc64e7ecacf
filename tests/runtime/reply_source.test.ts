// Issue 19 #1 and #2: replying with a received message's localAddr works whatever the datagram was sent
// to — a broadcast address or a multicast group: the reply leaves by that interface from its own address;
// a reply to UDP port 0 fails that one send with an error naming the port, and turns nothing off
// (segmentation offload stays on). Real sockets: loopback, and namespaces for groups and a LAN broadcast.
import assert from "node:assert/strict";
import { type DatagramConn, listenDatagram, SocketError } from "../../mod.ts";
import { onWindows, runtime, sleep, test, underWine } from "./harness.ts";
import { ADDR, multiHomed } from "./multihomed.ts";
import { netnsUnavailable } from "./netns.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (d: Uint8Array) => new TextDecoder().decode(d);
const receive = (c: DatagramConn, ms = 3000) => c.receiveMsg({ signal: AbortSignal.timeout(ms) });
const bulk = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 251);
const portZero = (e: unknown) =>
  e instanceof SocketError && e.code === (onWindows ? "WSAEADDRNOTAVAIL" : "EINVAL") && /port 0/.test(e.message);

test(`reply source (${runtime}): a datagram to 127.255.255.255 is answered from its localAddr, from 127.0.0.1`, async () => {
  using srv = listenDatagram({ hostname: "0.0.0.0", broadcast: true });
  using client = listenDatagram({ hostname: "127.0.0.1", broadcast: true });
  await client.send(enc("to all"), { hostname: "127.255.255.255", port: srv.addr.port });
  const m = await receive(srv);
  assert.equal(m.localAddr?.hostname, "127.255.255.255");
  // Before: ENETUNREACH (Linux refuses a broadcast address as a source), and the server loop died.
  assert.equal(await srv.sendMsg(enc("answer"), m.remoteAddr, { localAddr: m.localAddr ?? undefined }), 6);
  const r = await receive(client);
  assert.equal(dec(r.data), "answer");
  assert.equal(r.remoteAddr.hostname, "127.0.0.1", "from the interface's own address");
  assert.equal(r.remoteAddr.port, srv.addr.port);
  // A unicast datagram still gets its answer from the very address it was sent to.
  await client.send(enc("to one"), { hostname: "127.0.0.1", port: srv.addr.port });
  const u = await receive(srv);
  await srv.sendMsg(enc("again"), u.remoteAddr, { localAddr: u.localAddr ?? undefined });
  assert.equal((await receive(client)).remoteAddr.hostname, "127.0.0.1");
});

test(`reply source (${runtime}): a send to UDP port 0 fails alone, naming the port; the socket goes on`, async () => {
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  await assert.rejects(tx.sendMsg(enc("x"), { hostname: "127.0.0.1", port: 0 }), portZero);
  assert.throws(() => tx.trySendMsg(enc("x"), { hostname: "127.0.0.1", port: 0 }), portZero);
  const batch = await tx.sendMsgs([
    { data: enc("a"), remoteAddr: rx.addr },
    { data: enc("b"), remoteAddr: { hostname: "127.0.0.1", port: 0 } },
    { data: enc("c"), remoteAddr: rx.addr },
  ]);
  assert.equal(batch.sent, 1, "the datagram before it went");
  assert.ok(portZero(batch.error), String(batch.error));
  assert.equal(await tx.sendMsg(enc("after"), rx.addr), 5);
  assert.deepEqual([dec((await receive(rx)).data), dec((await receive(rx)).data)], ["a", "after"]);
});

test(
  `reply source (${runtime}): answering port 0 with segments does not turn offload off (5,000 bytes stay one send)`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    using rx = listenDatagram({ hostname: "127.0.0.1", coalesce: true });
    await assert.rejects(tx.sendMsg(bulk(5000), { hostname: "127.0.0.1", port: 0 }, { segmentSize: 1000 }), portZero);
    assert.equal(await tx.sendMsg(bulk(5000), rx.addr, { segmentSize: 1000 }), 5000);
    await sleep(30);
    const got = [];
    for (let m = rx.tryReceiveMsg(); m; m = rx.tryReceiveMsg()) got.push(m);
    assert.equal(got.length, 1, "one GSO send, kept whole by GRO: offload is still on");
    assert.equal(got[0].segmentSize, 1000);
  },
  { skip: onWindows ? "segmentation offload is Linux's (Windows sends a batch here)" : undefined },
);

test(
  `reply source (${runtime}): a datagram from source port 0 (a raw socket's) — the echo fails alone, offload stays on`,
  async () => {
    using srv = listenDatagram({ hostname: "127.0.0.1" });
    using rx = listenDatagram({ hostname: "127.0.0.1", coalesce: true });
    using raw = listenDatagram({ hostname: "127.0.0.1", protocol: 255, raw: true });
    // IPv4 header (IP_HDRINCL: the kernel fills length, id and checksum) and a UDP header from port 0.
    const payload = enc("from port zero");
    const packet = new Uint8Array(28 + payload.length);
    const v = new DataView(packet.buffer);
    packet.set([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
    v.setUint16(20, 0);
    v.setUint16(22, srv.addr.port);
    v.setUint16(24, 8 + payload.length);
    packet.set(payload, 28);
    await raw.sendMsg(packet, { hostname: "127.0.0.1", port: 0 });
    const m = await receive(srv);
    assert.equal(dec(m.data), "from port zero");
    assert.equal(m.remoteAddr.port, 0);
    await assert.rejects(
      srv.sendMsg(bulk(5000), m.remoteAddr, { localAddr: m.localAddr ?? undefined, segmentSize: 1000 }),
      portZero,
    );
    assert.equal(await srv.sendMsg(bulk(5000), rx.addr, { segmentSize: 1000 }), 5000);
    await sleep(30);
    let n = 0;
    for (let r = rx.tryReceiveMsg(); r; r = rx.tryReceiveMsg()) n++;
    assert.equal(n, 1, "still one GSO send");
  },
  {
    skip: onWindows
      ? "raw sockets need an administrator, and there is no offload to keep"
      : (globalThis as unknown as { process?: { getuid?(): number } }).process?.getuid?.() !== 0
      ? "a raw socket needs root"
      : undefined,
  },
);

const why = netnsUnavailable();

test(
  `reply source (${runtime}): answers to a group (IPv4, IPv6) and to the LAN broadcast leave link A from its own address`,
  async () => {
    const h = multiHomed("r");
    using _net = h.net;
    using srv = h.net.within(h.server, () => listenDatagram({ hostname: "::", port: 0 }));
    using a = h.net.within(
      h.clientA,
      () => listenDatagram({ hostname: "::", port: 0, broadcast: true, multicastInterface: h.clientIndexA }),
    );
    using _g4 = srv.joinMulticast("224.0.0.251", { interfaceIndex: h.indexA });
    using _g6 = srv.joinMulticast("ff02::fb", { interfaceIndex: h.indexA });
    const cases: [string, string, string][] = [
      ["224.0.0.251", "224.0.0.251", ADDR.serverA],
      ["ff02::fb", `ff02::fb%${h.indexA}`, ""],
      ["198.18.10.255", "198.18.10.255", ADDR.serverA],
    ];
    for (const [to, local, from] of cases) {
      await a.send(enc(`to ${to}`), { hostname: to, port: srv.addr.port });
      const m = await receive(srv);
      assert.equal(m.localAddr?.hostname, local);
      assert.equal(m.localAddr?.interfaceIndex, h.indexA);
      await srv.sendMsg(enc(`answer ${to}`), m.remoteAddr, { localAddr: m.localAddr ?? undefined });
      const r = await receive(a);
      assert.equal(dec(r.data), `answer ${to}`);
      if (from) assert.equal(r.remoteAddr.hostname, from);
      else assert.ok(!r.remoteAddr.hostname.startsWith("ff"), `from a unicast address, got ${r.remoteAddr.hostname}`);
      // A copy of a group's localAddr is recognised by its address.
      if (to !== "198.18.10.255") {
        await srv.sendMsg(enc("copy"), m.remoteAddr, { localAddr: { ...m.localAddr! } });
        assert.equal(dec((await receive(a)).data), "copy");
      }
    }
  },
  { windows: false, skip: why ?? (underWine ? "namespaces" : undefined), timeout: 30_000 },
);
