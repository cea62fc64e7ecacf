/**
 * Sockets opened by host name: `listenDatagram` and `connectDatagram` look a name up at once through the
 * system's resolver (getaddrinfo, through the FFI), as `Deno.listenDatagram` does. Only "localhost" is
 * looked up where a DNS server could be asked (the hosts file answers it: no query leaves the machine); an
 * unknown name is looked up inside a network namespace with nothing but loopback, where the configured
 * name server cannot be reached and the failure comes at once, without traffic.
 */
import assert from "node:assert/strict";
import { promises as dns } from "node:dns";
import { connectDatagram, listenDatagram, SocketError } from "../../mod.ts";
import { child, onWindows, runtime, test } from "./harness.ts";
import { netnsUnavailable, TestNet, wineInNamespace } from "./netns.ts";

/** The first address the runtime's own resolver gives for localhost (libuv's getaddrinfo, the resolver's order). */
const localhostFirst = async () => (await dns.lookup("localhost", { order: "verbatim" })).address;

test("listenDatagram binds the first address the resolver gives for a host name, and datagrams arrive there", async () => {
  const expected = await localhostFirst();
  using a = listenDatagram({ hostname: "localhost" });
  assert.equal(a.addr.hostname, expected);
  assert.equal(a.addr.transport, "udp");
  assert.ok(a.addr.port > 0);
  const own = runtime === "deno"
    ? (Deno as unknown as {
      listenDatagram?(o: { hostname: string; port: number; transport: "udp" }): { addr: Deno.NetAddr; close(): void };
    }).listenDatagram
    : undefined;
  if (typeof own === "function") {
    // What Deno's own does with the same name (with --unstable-net).
    const d = own({ hostname: "localhost", port: 0, transport: "udp" });
    assert.equal(d.addr.hostname, a.addr.hostname);
    d.close();
  }
  using b = listenDatagram({ hostname: expected });
  assert.equal(await b.send(new Uint8Array([7, 8]), a.addr), 2);
  const m = await a.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.deepEqual([...m.data], [7, 8]);
  assert.deepEqual(m.remoteAddr, { transport: "udp", hostname: expected, port: b.addr.port });
  assert.equal(m.localAddr?.hostname, expected);
});

test("connectDatagram looks up its peer's name, of the family of a numeric localAddr", async () => {
  const expected = await localhostFirst();
  using server = listenDatagram({ hostname: expected });
  using c = connectDatagram({ hostname: "localhost", port: server.addr.port });
  assert.deepEqual(c.remoteAddr, { transport: "udp", hostname: expected, port: server.addr.port });
  assert.equal(await c.send(new Uint8Array([1, 2, 3])), 3);
  const m = await server.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.deepEqual([...m.data], [1, 2, 3]);
  assert.equal(m.remoteAddr.port, c.addr.port);
  // A localAddr hostname of null is left out, as before names were looked up: the wildcard is bound.
  using unnamed = connectDatagram({
    hostname: expected,
    port: server.addr.port,
    localAddr: { hostname: null as unknown as string },
  });
  assert.equal(unnamed.remoteAddr?.port, server.addr.port);
  // The numeric checks say what they said before: ICMP with ipv6Only, the wildcard of the peer's family.
  assert.throws(
    () => connectDatagram({ hostname: "127.0.0.1", port: 9, protocol: "icmp", ipv6Only: true }),
    (e: Error) =>
      e instanceof TypeError &&
      e.message === `connectDatagram: ipv6Only applies to an IPv6 socket; "0.0.0.0" is an IPv4 address`,
  );
  // A named localAddr is looked up first, and the peer's name then of its family.
  using named = connectDatagram({
    hostname: "localhost",
    port: server.addr.port,
    localAddr: { hostname: "localhost" },
  });
  assert.equal(named.addr.hostname, expected);
  assert.equal(named.remoteAddr?.hostname, expected);
  if (expected.includes(".")) {
    // localAddr 127.0.0.1 asks for an IPv4 peer: the name gives 127.0.0.1 whatever the resolver's order.
    using c4 = connectDatagram({ hostname: "localhost", port: server.addr.port, localAddr: { hostname: "127.0.0.1" } });
    assert.equal(c4.remoteAddr?.hostname, "127.0.0.1");
  }
});

test("what is neither an address nor a name is refused before any lookup, with the option named", () => {
  for (const hostname of [" localhost", "local host", "[localhost]", "a..b", "::1%lo", "a\0b", ""]) {
    assert.throws(
      () => listenDatagram({ hostname }),
      (e: Error) =>
        e instanceof TypeError &&
        e.message ===
          `listenDatagram: hostname must be a numeric IPv4 or IPv6 address such as "0.0.0.0" or "::", or a host name, got ${
            JSON.stringify(hostname)
          }`,
      JSON.stringify(hostname),
    );
    assert.throws(
      () => connectDatagram({ hostname, port: 9 }),
      (e: Error) =>
        e instanceof TypeError && /^connectDatagram: hostname must be .* or a host name, got /.test(e.message),
    );
  }
  // Every other option is checked before the name is looked up.
  assert.throws(() => listenDatagram({ hostname: "localhost", port: 65536 }), RangeError);
  assert.throws(() => connectDatagram({ hostname: "localhost", port: 0 }), RangeError);
});

const noNamespace = onWindows ? "needs a Linux network namespace for a lookup that sends nothing" : netnsUnavailable();

test(
  "an unknown name throws a SocketError named for getaddrinfo's code, and the next open by number succeeds",
  () => {
    using net = new TestNet("nm");
    const ns = net.ns("a");
    const error = net.within(ns, () => {
      try {
        listenDatagram({ hostname: "recvmsg-test-host.invalid" });
      } catch (e) {
        return e;
      }
      return null;
    });
    assert.ok(error instanceof SocketError, String(error));
    assert.match(error.code, /^EAI_(NONAME|AGAIN|NODATA|FAIL)$/);
    assert.equal(error.syscall, "getaddrinfo");
    assert.equal(error.address, "recvmsg-test-host.invalid");
    assert.equal(typeof error.errno, "number");
    assert.match(error.message, /^getaddrinfo EAI_\w+ recvmsg-test-host\.invalid \(-?\d+\): \S/);
    // Every other option is checked before a name is looked up, connectDatagram's too.
    const checks: [() => unknown, RegExp][] = [
      [() => listenDatagram({ hostname: "recvmsg-test-host.invalid", readAhead: 999 }), /^listenDatagram: readAhead /],
      [
        () => connectDatagram({ hostname: "recvmsg-test-host.invalid", port: 9, readAhead: 999 }),
        /^connectDatagram: readAhead /,
      ],
      [
        () => connectDatagram({ hostname: "recvmsg-test-host.invalid", port: 9, localAddr: { port: 70000 } }),
        /^connectDatagram: localAddr\.port /,
      ],
      [
        () => connectDatagram({ hostname: "recvmsg-test-host.invalid", port: 9, localAddr: { hostname: "a b" } }),
        /^connectDatagram: localAddr\.hostname /,
      ],
      [
        () => listenDatagram({ hostname: "recvmsg-test-host.invalid", protocol: "icmp", ipv6Only: true }),
        /^listenDatagram: ipv6Only applies to an IPv6 socket; protocol "icmp" is IPv4's/,
      ],
      [
        () =>
          connectDatagram({
            hostname: "127.0.0.1",
            port: 9,
            protocol: "icmp",
            ipv6Only: true,
            localAddr: { hostname: "recvmsg-test-host.invalid" },
          }),
        /^connectDatagram: ipv6Only applies to an IPv6 socket; protocol "icmp" is IPv4's/,
      ],
      [
        () =>
          connectDatagram({ hostname: "recvmsg-test-host.invalid", port: 9, ipv6Only: "yes" as unknown as boolean }),
        /^connectDatagram: ipv6Only must be a boolean/,
      ],
    ];
    for (const [call, message] of checks) {
      const e = net.within(ns, () => {
        try {
          call();
        } catch (e) {
          return e;
        }
        return null;
      });
      assert.ok(e instanceof TypeError || e instanceof RangeError, `${message}: ${e}`);
      assert.match((e as Error).message, message);
    }
    using ok = listenDatagram({ hostname: "127.0.0.1" });
    assert.ok(ok.addr.port > 0);
  },
  { skip: noNamespace ?? undefined },
);

test(
  `Windows ${runtime} under Wine: an unknown name throws a SocketError named for Winsock's code (WSAHOST_NOT_FOUND, …)`,
  async () => {
    using net = new TestNet("nw");
    const ns = net.ns("a");
    wineInNamespace.stop();
    try {
      const c = child(
        [...net.run(ns), ...wineInNamespace.argv(runtime), "tests/runtime/fixtures/unknown_name.ts"],
        120_000,
      );
      const done = await c.done;
      const lines = done.stdout.split(/\r?\n/).map((l) => l.trim());
      const json = lines.find((l) => l.startsWith("{"));
      assert.ok(json, `no error printed: ${done.stdout} ${done.stderr.split("\n").slice(-5).join(" ")}`);
      const e = JSON.parse(json) as Record<string, unknown>;
      assert.equal(e.name, "SocketError");
      assert.match(String(e.code), /^WSA(HOST_NOT_FOUND|TRY_AGAIN|NO_DATA|NO_RECOVERY)$/);
      assert.ok([11001, 11002, 11003, 11004].includes(e.errno as number), String(e.errno));
      assert.equal(e.syscall, "getaddrinfo");
      assert.equal(e.address, "recvmsg-test-host.invalid");
      assert.match(String(e.message), /^getaddrinfo WSA\w+ recvmsg-test-host\.invalid \(1100\d\): \S/);
      assert.ok(lines.some((l) => /^reopened \d+$/.test(l)), "a socket opens by number after the failed lookup");
      assert.equal(done.code, 0);
    } finally {
      wineInNamespace.stop();
    }
  },
  { windows: false, skip: onWindows ? undefined : wineInNamespace.unavailable(runtime), timeout: 180_000 },
);

test("a peer's name is looked up of the family its bind address reaches: IPv4 from an IPv4-mapped one", async () => {
  using server = listenDatagram({ hostname: "127.0.0.1" });
  using c = connectDatagram({
    hostname: "localhost",
    port: server.addr.port,
    localAddr: { hostname: "::ffff:127.0.0.1" },
  });
  assert.equal(await c.send(new Uint8Array([4])), 1);
  const m = await server.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.deepEqual([...m.data], [4]);
  assert.deepEqual(m.remoteAddr, { transport: "udp", hostname: "127.0.0.1", port: c.addr.port });
});
