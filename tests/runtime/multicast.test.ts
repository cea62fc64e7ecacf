// Multicast and a multi-homed host, on a real network: a server namespace with two links and an alias
// address, a client on each link (tests/runtime/multihomed.ts). The test thread opens each socket
// inside its namespace (setns), so one process plays server and clients. Linux runtimes; skipped with
// the reason when namespaces cannot be made.
import assert from "node:assert/strict";
import { type DatagramConn, interfaces, listenDatagram, SocketError } from "../../mod.ts";
import { runtime, sleep, test } from "./harness.ts";
import { ADDR, type MultiHomed, multiHomed } from "./multihomed.ts";
import { netnsUnavailable } from "./netns.ts";

const why = netnsUnavailable();
const O = { windows: false, skip: why, timeout: 30_000 } as const;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (d: Uint8Array) => new TextDecoder().decode(d);
const receive = (c: DatagramConn, ms = 3000) => c.receiveMsg({ signal: AbortSignal.timeout(ms) });
/** Nothing arrives within `ms` (a datagram that must not be delivered). */
async function nothing(c: DatagramConn, ms = 300): Promise<void> {
  await sleep(ms);
  const m = c.tryReceiveMsg();
  assert.equal(m, null, m ? `unexpected datagram ${JSON.stringify(dec(m.data))} to ${m.localAddr?.hostname}` : "");
}

/** A socket in namespace `ns`. */
const open = (h: MultiHomed, ns: string, o: Parameters<typeof listenDatagram>[0]) =>
  h.net.within(ns, () => listenDatagram(o));

test(
  `multi-homed (${runtime}): unicast to each link and to the alias reports that address and the kernel's ifindex`,
  async () => {
    const h = multiHomed("u");
    using _net = h.net;
    using srv = open(h, h.server, { hostname: "::", port: 0 });
    using a = open(h, h.clientA, { hostname: "::", port: 0 });
    using b = open(h, h.clientB, { hostname: "::", port: 0 });
    const cases: [DatagramConn, string, number][] = [
      [a, ADDR.serverA, h.indexA],
      [a, ADDR.serverAlias, h.indexA],
      [b, ADDR.serverB, h.indexB],
      [a, ADDR.serverA6, h.indexA],
      [b, ADDR.serverB6, h.indexB],
    ];
    for (const [client, to, index] of cases) {
      await client.send(enc(`to ${to}`), { hostname: to, port: srv.addr.port });
      const m = await receive(srv);
      assert.equal(dec(m.data), `to ${to}`);
      assert.equal(m.localAddr?.hostname, to);
      assert.equal(m.localAddr?.interfaceIndex, index, `${to} arrived on ifindex ${index}`);
      assert.equal(m.multicast, false);
      // And the answer leaves from the address reached, back over the same link.
      await srv.sendMsg(enc("answer"), m.remoteAddr, { localAddr: m.localAddr ?? undefined });
      const r = await receive(client);
      assert.equal(r.remoteAddr.hostname, to);
    }
  },
  O,
);

test(
  `multicast (${runtime}): a group joined on link A only — A's datagrams arrive with multicast: true and A's index, B's do not; after leave() none`,
  async () => {
    const h = multiHomed("m");
    using _net = h.net;
    using srv = open(h, h.server, { hostname: "0.0.0.0", port: 0 });
    using a = open(h, h.clientA, { hostname: ADDR.clientA, multicastInterface: h.clientIndexA });
    using b = open(h, h.clientB, { hostname: ADDR.clientB, multicastInterface: h.clientIndexB });
    const to = { hostname: "224.0.0.251", port: srv.addr.port };
    const m = srv.joinMulticast("224.0.0.251", { interfaceIndex: h.indexA });
    assert.deepEqual([m.group, m.interfaceIndex, m.source, m.active], ["224.0.0.251", h.indexA, null, true]);
    assert.throws(
      () => srv.joinMulticast("224.0.0.251", { interfaceIndex: h.indexA }),
      (e: Error) => e instanceof RangeError && /already a member/.test(e.message),
    );
    await a.send(enc("from A"), to);
    const got = await receive(srv);
    assert.equal(dec(got.data), "from A");
    assert.equal(got.multicast, true, "derived from the destination: Linux sets no MSG_MCAST");
    assert.equal(got.localAddr?.hostname, "224.0.0.251");
    assert.equal(got.localAddr?.interfaceIndex, h.indexA);
    assert.equal(got.remoteAddr.hostname, ADDR.clientA);
    await b.send(enc("from B"), to);
    await nothing(srv);
    m.leave();
    m.leave();
    assert.equal(m.active, false);
    await a.send(enc("after leave"), to);
    await nothing(srv);
    // Joined by the interface's address instead of its index (IPv4), and left by `using`.
    {
      using byAddr = srv.joinMulticast("224.0.0.251", { interfaceAddress: ADDR.serverB });
      await b.send(enc("from B, joined by address"), to);
      assert.equal((await receive(srv)).localAddr?.interfaceIndex, h.indexB);
      assert.equal(byAddr.active, true);
    }
    await b.send(enc("after using"), to);
    await nothing(srv);
  },
  O,
);

test(`multicast (${runtime}): source-specific — only the named source's datagrams arrive`, async () => {
  const h = multiHomed("s");
  using _net = h.net;
  using srv = open(h, h.server, { hostname: "0.0.0.0", port: 0 });
  using a1 = open(h, h.clientA, { hostname: ADDR.clientA, multicastInterface: h.clientIndexA });
  using a2 = open(h, h.clientA, { hostname: ADDR.clientA2, multicastInterface: h.clientIndexA });
  using m = srv.joinMulticast("232.1.1.1", { interfaceIndex: h.indexA, source: ADDR.clientA });
  assert.equal(m.source, ADDR.clientA);
  const to = { hostname: "232.1.1.1", port: srv.addr.port };
  await a2.send(enc("other source"), to);
  await a1.send(enc("named source"), to);
  const got = await receive(srv);
  assert.equal(dec(got.data), "named source");
  assert.equal(got.remoteAddr.hostname, ADDR.clientA);
  assert.equal(got.multicast, true);
  await nothing(srv);
}, O);

test(`multicast (${runtime}): IPv6 ff02::fb on a chosen index, with its zone in localAddr`, async () => {
  const h = multiHomed("6");
  using _net = h.net;
  using srv = open(h, h.server, { hostname: "::", port: 0 });
  using a = open(h, h.clientA, { hostname: "::", port: 0, multicastInterface: h.clientIndexA });
  using b = open(h, h.clientB, { hostname: "::", port: 0, multicastInterface: h.clientIndexB });
  using _m = srv.joinMulticast("ff02::fb", { interfaceIndex: h.indexA });
  await a.send(enc("v6 from A"), { hostname: "ff02::fb", port: srv.addr.port });
  const got = await receive(srv);
  assert.equal(dec(got.data), "v6 from A");
  assert.equal(got.multicast, true);
  assert.equal(got.localAddr?.hostname, `ff02::fb%${h.indexA}`);
  assert.equal(got.localAddr?.interfaceIndex, h.indexA);
  await b.send(enc("v6 from B"), { hostname: "ff02::fb", port: srv.addr.port });
  await nothing(srv);
  // A dual-stack socket holds IPv4 and IPv6 memberships at once.
  using _m4 = srv.joinMulticast("224.0.0.251", { interfaceIndex: h.indexA });
  using a4 = open(h, h.clientA, { hostname: ADDR.clientA, multicastInterface: h.clientIndexA });
  await a4.send(enc("v4 on dual-stack"), { hostname: "224.0.0.251", port: srv.addr.port });
  const v4 = await receive(srv);
  assert.equal(v4.localAddr?.hostname, "224.0.0.251");
  assert.equal(v4.multicast, true);
}, O);

test(
  `multicast (${runtime}): sends to a group leave by the interface chosen (setMulticastInterface, or per datagram) and loopback is observed`,
  async () => {
    const h = multiHomed("o");
    using _net = h.net;
    using srv = open(h, h.server, { hostname: "0.0.0.0", port: 0 });
    using a = open(h, h.clientA, { hostname: "0.0.0.0", port: 0 });
    using b = open(h, h.clientB, { hostname: "0.0.0.0", port: a.addr.port });
    using _ja = a.joinMulticast("224.0.0.251", { interfaceIndex: h.clientIndexA });
    using _jb = b.joinMulticast("224.0.0.251", { interfaceIndex: h.clientIndexB });
    const to = { hostname: "224.0.0.251", port: a.addr.port };
    srv.setMulticastInterface(h.indexB);
    await srv.send(enc("out B"), to);
    assert.equal(dec((await receive(b)).data), "out B");
    await nothing(a);
    // One datagram names its own interface (IP_PKTINFO), whatever the socket's default is.
    await srv.sendMsg(enc("out A"), to, { localAddr: { interfaceIndex: h.indexA } });
    assert.equal(dec((await receive(a)).data), "out A");
    await nothing(b);
    // Loopback: a member on the sending host gets a copy unless it is turned off.
    using self = open(h, h.server, { hostname: "0.0.0.0", port: a.addr.port, reusePort: true });
    using _js = self.joinMulticast("224.0.0.251", { interfaceIndex: h.indexB });
    srv.setMulticastLoopback(true);
    await srv.send(enc("looped"), to);
    assert.equal(dec((await receive(self)).data), "looped");
    await receive(b);
    srv.setMulticastLoopback(false);
    await srv.send(enc("not looped"), to);
    assert.equal(dec((await receive(b)).data), "not looped");
    await nothing(self);
    srv.setMulticastHopLimit(1);
    srv.setHopLimit(64);
    srv.setBroadcast(true);
  },
  O,
);

test(`interfaces() (${runtime}) matches ip -j addr in the namespace: names, indexes, addresses, prefixes`, () => {
  const h = multiHomed("i");
  using _net = h.net;
  const ours = h.net.within(h.server, () => interfaces());
  const theirs = JSON.parse(h.net.exec(h.server, "ip", "-j", "addr")) as {
    ifindex: number;
    ifname: string;
    flags: string[];
    addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  assert.deepEqual(ours.map((i) => [i.index, i.name]).sort(), theirs.map((i) => [i.ifindex, i.ifname]).sort());
  for (const t of theirs) {
    const o = ours.find((i) => i.index === t.ifindex)!;
    assert.equal(o.up, t.flags.includes("UP"), t.ifname);
    assert.equal(o.loopback, t.flags.includes("LOOPBACK"), t.ifname);
    assert.equal(o.multicast, t.flags.includes("MULTICAST"), t.ifname);
    const want = t.addr_info.map((a) => `${a.family === "inet" ? "IPv4" : "IPv6"} ${a.local}/${a.prefixlen}`).sort();
    assert.deepEqual(o.addresses.map((a) => `${a.family} ${a.address}/${a.prefixLength}`).sort(), want, t.ifname);
  }
  const a = ours.find((i) => i.index === h.indexA)!;
  assert.ok(a.addresses.some((x) => x.address === ADDR.serverAlias && x.prefixLength === 24), "the alias is listed");
  const ll = a.addresses.find((x) => x.address.startsWith("fe80:"));
  if (ll) assert.equal(ll.scopeId, h.indexA, "a link-local address carries its zone");
}, O);

test(`reusePort (${runtime}): two responders share port 5353 in a namespace; without it the second bind fails`, () => {
  const h = multiHomed("r");
  using _net = h.net;
  using first = open(h, h.server, { hostname: "0.0.0.0", port: 5353, reusePort: true });
  using second = open(h, h.server, { hostname: "0.0.0.0", port: 5353, reusePort: true });
  assert.equal(second.addr.port, first.addr.port);
  assert.throws(
    () => open(h, h.server, { hostname: "0.0.0.0", port: 5353 }),
    (e: Error) => e instanceof SocketError && e.code === "EADDRINUSE",
  );
}, O);

test(`bad multicast input (${runtime}): typed errors naming the argument, or the system's named error`, () => {
  using v4 = listenDatagram({ hostname: "127.0.0.1" });
  using v6only = listenDatagram({ hostname: "::1", ipv6Only: true });
  const named = (re: RegExp, kind: ErrorConstructor = TypeError) => (e: Error) =>
    e instanceof kind && re.test(e.message);
  assert.throws(
    () => v4.joinMulticast("10.1.2.3"),
    named(/group "10\.1\.2\.3" is not a multicast address/, RangeError),
  );
  assert.throws(() => v4.joinMulticast("ff02::fb"), named(/group "ff02::fb" is IPv6, and this socket is IPv4/));
  assert.throws(() => v6only.joinMulticast("224.0.0.251"), named(/IPv6-only/));
  assert.throws(
    () => v4.joinMulticast("224.0.0.251", { source: "224.0.0.9" }),
    named(/source "224\.0\.0\.9" must be a unicast address/, RangeError),
  );
  assert.throws(() => v4.joinMulticast("232.1.1.1", { source: "::1" }), named(/different families/));
  assert.throws(
    () => v4.joinMulticast("224.0.0.251", { interfaceIndex: -1 }),
    named(/interfaceIndex must be an integer/, RangeError),
  );
  assert.throws(
    () => v4.joinMulticast("224.0.0.251", { interfaceAddress: "nope" }),
    named(/interfaceAddress must be a numeric IPv4 address/),
  );
  assert.throws(
    () => v4.joinMulticast(42 as unknown as string),
    named(/group must be a numeric multicast address string/),
  );
  assert.throws(
    () => v4.setMulticastHopLimit(256),
    named(/setMulticastHopLimit: hopLimit must be an integer from 0 to 255/, RangeError),
  );
  assert.throws(
    () => v4.setMulticastLoopback(1 as unknown as boolean),
    named(/setMulticastLoopback: on must be a boolean/),
  );
  assert.throws(
    () => listenDatagram({ multicastHopLimit: -1 }),
    named(/listenDatagram: multicastHopLimit/, RangeError),
  );
  // An interface index that does not exist: the system's own error, with its name.
  assert.throws(
    () => v4.joinMulticast("224.0.0.251", { interfaceIndex: 999_999 }),
    (e: Error) =>
      e instanceof SocketError && /^(ENODEV|EADDRNOTAVAIL|WSAENXIO|WSAEADDRNOTAVAIL|WSAEINVAL)$/.test(e.code),
  );
  v4.close();
  assert.throws(() => v4.joinMulticast("224.0.0.251"), (e: Error) => e instanceof SocketError);
}, { windows: false });
