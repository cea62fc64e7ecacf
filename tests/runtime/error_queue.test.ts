// The error queue (`receiveErrors: true`, Linux IP_RECVERR / IPV6_RECVERR): ICMP errors a socket's sends
// draw, read as records (errno, origin, ICMP type and code, offender, original destination, the first
// bytes of the datagram), and normal receives and sends that never fail because of them. Elsewhere the
// option is a TypeError naming it (Windows and macOS keep no error queue).
import assert from "node:assert/strict";
import {
  connectDatagram,
  type DatagramConn,
  listenDatagram,
  type QueuedError,
  SocketClosedError,
  wrapSocket,
} from "../../mod.ts";
import { child, runtime, runtimeArgv, sleep, test } from "./harness.ts";
import { netnsUnavailable, TestNet } from "./netns.ts";
import { rawSocket } from "./raw_posix.ts";

const platform = (globalThis as unknown as { process: { platform: string } }).process.platform;
const linux = platform === "linux";
const notLinux = linux ? null : "the error queue is Linux's (IP_RECVERR)";
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (d: Uint8Array) => new TextDecoder().decode(d);

/** A port nobody listens on, at `hostname`. */
function closedPort(hostname: string): number {
  const c = listenDatagram({ hostname });
  const port = c.addr.port;
  c.close();
  return port;
}

const receiveError = (c: DatagramConn) => c.receiveError({ signal: AbortSignal.timeout(3000) });

test(
  `receiveErrors (${runtime}): a send to a closed port on 127.0.0.1 gives one record, ECONNREFUSED from ICMP 3/3`,
  async () => {
    using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
    const port = closedPort("127.0.0.1");
    const waiting = receiveError(conn); // waits before the error exists: the wait on EPOLLERR
    await conn.sendMsg(enc("is anyone there?"), { hostname: "127.0.0.1", port });
    const e: QueuedError = await waiting;
    assert.equal(e.code, "ECONNREFUSED");
    assert.equal(e.errno, 111);
    assert.equal(e.origin, "icmp");
    assert.equal(e.icmpType, 3, "destination unreachable");
    assert.equal(e.icmpCode, 3, "port unreachable");
    assert.equal(e.info, 0);
    assert.deepEqual(e.offender, { transport: "udp", hostname: "127.0.0.1", port: 0 }, "the host that answered");
    assert.deepEqual(e.destination, { transport: "udp", hostname: "127.0.0.1", port }, "where the datagram went");
    assert.equal(dec(e.payload), "is anyone there?", "the datagram's bytes as the ICMP message quoted them");
    assert.equal(e.truncated, false);
    assert.match(e.message, /port-unreachable/);
    assert.ok(Object.isFrozen(e));
    assert.equal(conn.tryReceiveError(), null, "one record, no more");
  },
  { skip: notLinux },
);

test(`receiveErrors (${runtime}): IPv6 on ::1 gives ICMPv6 1/4 (port unreachable), offender ::1`, async () => {
  using conn = listenDatagram({ hostname: "::1", receiveErrors: true });
  const port = closedPort("::1");
  await conn.sendMsg(enc("v6"), { hostname: "::1", port });
  const e = await receiveError(conn);
  assert.equal(e.code, "ECONNREFUSED");
  assert.equal(e.origin, "icmp6");
  assert.equal(e.icmpType, 1, "destination unreachable");
  assert.equal(e.icmpCode, 4, "port unreachable");
  assert.equal(e.offender?.hostname, "::1");
  assert.deepEqual(e.destination, { transport: "udp", hostname: "::1", port });
  assert.equal(dec(e.payload), "v6");
}, { skip: notLinux });

test(`receiveErrors (${runtime}): a dual-stack socket's IPv4 error comes in plain IPv4 form`, async () => {
  using conn = listenDatagram({ hostname: "::", receiveErrors: true });
  const port = closedPort("127.0.0.1");
  await conn.sendMsg(enc("v4 from ::"), { hostname: "127.0.0.1", port });
  const e = await receiveError(conn);
  assert.equal(e.origin, "icmp");
  assert.equal(e.icmpType, 3);
  assert.equal(e.offender?.hostname, "127.0.0.1");
  assert.deepEqual(e.destination, { transport: "udp", hostname: "127.0.0.1", port });
}, { skip: notLinux });

test(
  `receiveErrors (${runtime}): receives and sends after the error go on, no datagram lost (without it the socket's error fails them once)`,
  async () => {
    using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true, readAhead: 0 });
    using peer = listenDatagram({ hostname: "127.0.0.1" });
    const port = closedPort("127.0.0.1");
    await conn.sendMsg(enc("x"), { hostname: "127.0.0.1", port });
    await conn.sendMsg(enc("y"), { hostname: "127.0.0.1", port });
    await sleep(20); // both ICMP errors are queued, and the socket's pending error is set
    // A send now would fail once with ECONNREFUSED without the queue: it goes.
    assert.equal(await conn.sendMsg(enc("to peer"), peer.addr), 7);
    assert.equal(dec((await peer.receiveMsg({ signal: AbortSignal.timeout(3000) })).data), "to peer");
    await conn.sendMsg(enc("z"), { hostname: "127.0.0.1", port });
    await sleep(20);
    await peer.sendMsg(enc("one"), conn.addr);
    await peer.sendMsg(enc("two"), conn.addr);
    for (const want of ["one", "two"]) {
      const m = await conn.receiveMsg({ signal: AbortSignal.timeout(3000) });
      assert.equal(dec(m.data), want);
    }
    const got: string[] = [];
    for (let e = conn.tryReceiveError(); e; e = conn.tryReceiveError()) got.push(`${e.code} ${dec(e.payload)}`);
    assert.deepEqual(got, ["ECONNREFUSED x", "ECONNREFUSED y", "ECONNREFUSED z"], "every error, in order");
  },
  { skip: notLinux },
);

test(
  `receiveErrors (${runtime}): with read-ahead and batches, an error between datagrams costs none of them`,
  async () => {
    using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
    using peer = listenDatagram({ hostname: "127.0.0.1" });
    const port = closedPort("127.0.0.1");
    for (let i = 0; i < 5; i++) await peer.sendMsg(enc(`a${i}`), conn.addr);
    await conn.sendMsg(enc("err"), { hostname: "127.0.0.1", port });
    await sleep(20);
    for (let i = 0; i < 5; i++) await peer.sendMsg(enc(`b${i}`), conn.addr);
    await sleep(20);
    const batch = await conn.receiveMsgs(4, { signal: AbortSignal.timeout(3000) });
    const rest: string[] = [];
    for (let m = conn.tryReceiveMsg(); m; m = conn.tryReceiveMsg()) rest.push(dec(m.data));
    assert.deepEqual(
      [...batch.map((m) => dec(m.data)), ...rest],
      [0, 1, 2, 3, 4].flatMap((i) => [`a${i}`]).concat(
        [0, 1, 2, 3, 4].map((i) => `b${i}`),
      ),
    );
    assert.equal((await receiveError(conn)).code, "ECONNREFUSED");
  },
  { skip: notLinux },
);

test(
  `receiveErrors (${runtime}): a waiting receive is not failed by an ICMP error, and gets the datagram after it`,
  async () => {
    using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
    using peer = listenDatagram({ hostname: "127.0.0.1" });
    const port = closedPort("127.0.0.1");
    const waiting = conn.receiveMsg({ signal: AbortSignal.timeout(3000) });
    await conn.sendMsg(enc("err"), { hostname: "127.0.0.1", port });
    await sleep(30);
    await peer.sendMsg(enc("after"), conn.addr);
    assert.equal(dec((await waiting).data), "after");
    assert.equal((await receiveError(conn)).code, "ECONNREFUSED", "the error kept as a record");
  },
  { skip: notLinux },
);

test(`receiveErrors (${runtime}): a connected socket's refused port is a record, not a failed receive`, async () => {
  const port = closedPort("127.0.0.1");
  using client = connectDatagram({ hostname: "127.0.0.1", port, receiveErrors: true });
  await client.send(enc("q"));
  await sleep(20);
  const r = await client.receiveMsg({ signal: AbortSignal.timeout(100) }).then(() => "datagram", (x) => x.name);
  assert.equal(r, "TimeoutError", "the receive waits instead of failing with ECONNREFUSED");
  const e = await receiveError(client);
  assert.equal(e.code, "ECONNREFUSED");
  assert.deepEqual(e.destination, { transport: "udp", hostname: "127.0.0.1", port });
}, { skip: notLinux });

test(
  `receiveErrors (${runtime}): errors() iterates records and ends at close; abort and close reject waiting readers`,
  async () => {
    const conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
    const port = closedPort("127.0.0.1");
    const seen: number[] = [];
    const loop = (async () => {
      for await (const e of conn.errors()) seen.push(e.destination!.port);
    })();
    for (let i = 0; i < 3; i++) await conn.sendMsg(enc(`${i}`), { hostname: "127.0.0.1", port });
    for (let i = 0; i < 100 && seen.length < 3; i++) await sleep(10);
    assert.deepEqual(seen, [port, port, port]);
    const ac = new AbortController();
    const aborted = conn.receiveError({ signal: ac.signal });
    ac.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    const pending = conn.receiveError();
    conn.close();
    await assert.rejects(pending, (e) => e instanceof SocketClosedError);
    await loop; // ended by close
    assert.throws(() => conn.tryReceiveError(), (e) => e instanceof SocketClosedError);
  },
  { skip: notLinux },
);

test(
  `receiveErrors (${runtime}): bad input is named; without the option no records and the readers are refused`,
  async () => {
    assert.throws(
      () => listenDatagram({ hostname: "127.0.0.1", receiveErrors: "yes" as unknown as boolean }),
      (e: Error) => e instanceof TypeError && /receiveErrors/.test(e.message),
    );
    using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
    await assert.rejects(
      conn.receiveError({ sig: 1 } as never),
      (e: Error) => e instanceof TypeError && /"sig"/.test(e.message),
    );
    await assert.rejects(
      conn.receiveError({ signal: "soon" as unknown as AbortSignal }),
      (e: Error) => e instanceof TypeError && /receiveError: signal must be an AbortSignal/.test(e.message),
    );
    assert.throws(
      () => conn.errors(7 as never),
      (e: Error) => e instanceof TypeError && /errors: options/.test(e.message),
    );
    // Off (the default): behaviour unchanged, and no error queue to read.
    using plain = listenDatagram({ hostname: "127.0.0.1" });
    using peer = listenDatagram({ hostname: "127.0.0.1" });
    await plain.sendMsg(enc("x"), { hostname: "127.0.0.1", port: closedPort("127.0.0.1") });
    await sleep(20);
    await peer.sendMsg(enc("after"), plain.addr);
    assert.equal(dec((await plain.receiveMsg({ signal: AbortSignal.timeout(3000) })).data), "after");
    assert.throws(
      () => plain.tryReceiveError(),
      (e: Error) => e instanceof TypeError && /receiveErrors: true/.test(e.message),
    );
    await assert.rejects(plain.receiveError(), (e: Error) => e instanceof TypeError && /receiveError:/.test(e.message));
  },
  { skip: notLinux },
);

test(
  `receiveErrors (${runtime}): unread records are kept up to 64 (the newest); the rest dropped and counted, the datagrams all received`,
  async () => {
    using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true, receiveBufferSize: 1 << 20 });
    using peer = listenDatagram({ hostname: "127.0.0.1" });
    const port = closedPort("127.0.0.1");
    // Paced: the kernel sends at most ~1,000 ICMP errors a second (net.ipv4.icmp_msgs_per_sec).
    for (let i = 0; i < 80; i++) {
      await conn.sendMsg(enc(`${i}`), { hostname: "127.0.0.1", port });
      await sleep(3);
    }
    await peer.sendMsg(enc("datagram"), conn.addr);
    await sleep(20);
    // The receive meets the socket's pending error: it takes the records, keeps 64, and gets the datagram.
    assert.equal(dec((await conn.receiveMsg({ signal: AbortSignal.timeout(3000) })).data), "datagram");
    const kept: number[] = [];
    for (let e = conn.tryReceiveError(); e; e = conn.tryReceiveError()) kept.push(Number(dec(e.payload)));
    assert.equal(kept.length, 64);
    assert.equal(conn.errorsDropped, 16);
    assert.deepEqual(kept, Array.from({ length: 64 }, (_, i) => 16 + i), "the newest, in order");
  },
  { skip: notLinux },
);

test(`receiveErrors (${runtime}): wrapSocket takes the option too`, async () => {
  // A socket made without the module (AF_INET, SOCK_DGRAM, UDP), adopted with the option.
  using conn = wrapSocket(rawSocket(2, 2, 17), { receiveErrors: true });
  const port = closedPort("127.0.0.1");
  await conn.sendMsg(enc("w"), { hostname: "127.0.0.1", port });
  assert.equal((await receiveError(conn)).code, "ECONNREFUSED");
}, { skip: notLinux });

test(
  `receiveErrors (${runtime}): a reader told through a receive that took the records aside leaves nothing holding the process`,
  async () => {
    const c = child([...runtimeArgv("tests/runtime/fixtures/error_queue_child.ts"), "absorbed"], 10_000);
    const r = await c.done;
    assert.equal(r.code, 0, `ended with ${r.code} (null: killed after 10 s, it hung) ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), { code: "ECONNREFUSED", datagram: false });
  },
  { skip: notLinux, timeout: 20_000 },
);

test(`receiveErrors (${runtime}): refused where the system keeps no error queue, naming the option`, () => {
  assert.throws(
    () => listenDatagram({ hostname: "127.0.0.1", receiveErrors: true }),
    (e: Error) =>
      e instanceof TypeError && /listenDatagram: receiveErrors is not offered on this system/.test(e.message),
  );
}, { skip: linux ? "Linux keeps an error queue" : null });

test(
  `receiveErrors (${runtime}): a router's "fragmentation needed" (1,280-byte next hop) is an EMSGSIZE record with the MTU and the router`,
  async () => {
    using net = new TestNet("eq");
    const a = net.ns("a");
    const r = net.ns("r");
    const b = net.ns("b");
    net.link(a, "rmeqa", r, "rmeqr1");
    net.link(r, "rmeqr2", b, "rmeqb");
    net.addr(a, "rmeqa", "198.18.21.1/24");
    net.addr(r, "rmeqr1", "198.18.21.2/24");
    net.addr(r, "rmeqr2", "198.18.22.1/24");
    net.addr(b, "rmeqb", "198.18.22.2/24");
    net.exec(r, "ip", "link", "set", "rmeqr2", "mtu", "1280");
    net.exec(b, "ip", "link", "set", "rmeqb", "mtu", "1280");
    net.exec(r, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    net.exec(a, "ip", "route", "add", "198.18.22.0/24", "via", "198.18.21.2");
    net.exec(b, "ip", "route", "add", "198.18.21.0/24", "via", "198.18.22.1");
    using conn = net.within(a, () => listenDatagram({ hostname: "0.0.0.0", receiveErrors: true, dontFragment: true }));
    const to = { hostname: "198.18.22.2", port: 9 };
    // The first hop's MTU is 1,500: the datagram leaves, and the router answers that it does not fit.
    await net.within(a, () => conn.sendMsg(new Uint8Array(1400).fill(1), to));
    const e = await receiveError(conn);
    assert.equal(e.code, "EMSGSIZE");
    assert.equal(e.origin, "icmp");
    assert.equal(e.icmpType, 3, "destination unreachable");
    assert.equal(e.icmpCode, 4, "fragmentation needed");
    assert.equal(e.info, 1280, "the next hop's MTU");
    assert.equal(e.offender?.hostname, "198.18.21.2", "the router, not the destination");
    assert.deepEqual(e.destination, { transport: "udp", ...to });
    // A small datagram after it goes (the socket's pending EMSGSIZE does not fail it).
    assert.equal(await net.within(a, () => conn.sendMsg(new Uint8Array(100), to)), 100);
  },
  { skip: notLinux ?? netnsUnavailable() },
);
