/**
 * A DatagramConn is a `Deno.DatagramConn` to the type checker: `deno check` of this file (step
 * deno-check) is half the test; the run uses the connection only through that type, on real sockets.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { readFileSync } from "node:fs";
import { listenDatagram, SocketClosedError } from "../../mod.ts";
import { runtime, test } from "./harness.ts";

test("a DatagramConn is assignable to Deno.DatagramConn and works through that type", async () => {
  using a = listenDatagram({ hostname: "127.0.0.1" });
  using b = listenDatagram({ hostname: "127.0.0.1" });
  // The test: this line type-checks under `deno check` (receive's and the iterator's Uint8Array<ArrayBuffer>,
  // send's Deno.Addr). Erased on Node and Bun, where the rest runs all the same.
  const c: Deno.DatagramConn = a;
  const to: Deno.Addr = b.addr;
  assert.equal(await c.send(new Uint8Array([1, 2, 3]), to), 3);
  const [data, from] = await b.receive();
  assert.deepEqual([...data], [1, 2, 3]);
  assert.equal(data.buffer instanceof ArrayBuffer, true);
  assert.deepEqual(from, { transport: "udp", hostname: "127.0.0.1", port: a.addr.port });
  await b.send(new Uint8Array([9]), c.addr);
  for await (const [d, f] of c) {
    const bytes: Uint8Array<ArrayBuffer> = d;
    assert.deepEqual([...bytes], [9]);
    assert.equal((f as Deno.NetAddr).port, b.addr.port);
    break;
  }
  if (runtime === "deno") assert.equal(typeof c.joinMulticastV4, "function");
});

test("send refuses a Unix or vsock address (Deno.Addr) with a TypeError, before any system call", async () => {
  using a = listenDatagram({ hostname: "127.0.0.1" });
  const unix: Deno.Addr = { transport: "unix", path: "/tmp/x.sock" };
  await assert.rejects(a.send(new Uint8Array(1), unix), (e: unknown) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /^send: addr must be a UDP address \{ hostname, port \}, got a unix address/);
    return true;
  });
  const vsock: Deno.Addr = { transport: "vsock", cid: 2, port: 9 };
  await assert.rejects(a.send(new Uint8Array(1), vsock), /got a vsock address/);
});

test("send looks up a host name as Deno does (localhost: /etc/hosts or the system's own, no DNS server); sendMsg takes numbers only", async () => {
  using a = listenDatagram({ hostname: "127.0.0.1" });
  using b = listenDatagram({ hostname: "127.0.0.1" });
  const to: Deno.Addr = { transport: "udp", hostname: "localhost", port: b.addr.port };
  assert.equal(await a.send(new Uint8Array([4, 5]), to), 2);
  const m = await b.receiveMsg();
  assert.deepEqual([...m.data], [4, 5]);
  assert.deepEqual(m.remoteAddr, { transport: "udp", hostname: "127.0.0.1", port: a.addr.port });
  assert.equal(m.localAddr?.hostname, "127.0.0.1");
  // Arguments are checked before the lookup, naming what is wrong.
  await assert.rejects(a.send(new Uint8Array(1), { ...to, port: 70000 }), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /^send: .*port must be an integer from 0 to 65535, got 70000/);
    return true;
  });
  await assert.rejects(a.send("x" as unknown as Uint8Array, to), /^TypeError: send: data must be a Uint8Array/);
  await assert.rejects(
    a.sendMsg(new Uint8Array(1), to),
    /^TypeError: sendMsg: remoteAddr\.hostname must be a numeric IPv4 or IPv6 address \(this call takes numbers: send\(\), listenDatagram and connectDatagram look names up\)/,
  );
  // Neither a number nor a name: refused before any lookup, naming the parameter.
  for (const hostname of ["", " localhost", "[localhost]", "::1%lo", "local host", "a..b"]) {
    await assert.rejects(a.send(new Uint8Array(1), { ...to, hostname }), (e: unknown) => {
      assert.ok(e instanceof TypeError, hostname);
      assert.match(e.message, /^send: addr\.hostname must be a numeric IPv4 or IPv6 address or a host name, got /);
      return true;
    });
  }
  assert.equal(b.tryReceiveMsg(), null, "nothing else was sent");
  a.close();
  await assert.rejects(a.send(new Uint8Array(1), to), (e: unknown) => e instanceof SocketClosedError);
});

// Windows always answers localhost with ::1 (scripts/wine.sh gives Wine's resolver a hosts file that does);
// elsewhere only where /etc/hosts names ::1 localhost: a lookup it cannot answer would go to a DNS server.
const v6Localhost = process.platform === "win32" || (() => {
  try {
    return /^\s*::1\s+(?:\S+\s+)*localhost(?:\s|$)/m.test(readFileSync("/etc/hosts", "utf8"));
  } catch {
    return false;
  }
})();

test(
  "send from a socket bound to ::1 looks up localhost's IPv6 address, whatever the resolver's order",
  async () => {
    using a = listenDatagram({ hostname: "::1" });
    using b = listenDatagram({ hostname: "::1" });
    assert.equal(await a.send(new Uint8Array([6]), { hostname: "localhost", port: b.addr.port }), 1);
    const m = await b.receiveMsg();
    assert.deepEqual([...m.data], [6]);
    assert.deepEqual(m.remoteAddr, { transport: "udp", hostname: "::1", port: a.addr.port });
  },
  { skip: v6Localhost ? undefined : "/etc/hosts does not name ::1 localhost" },
);
