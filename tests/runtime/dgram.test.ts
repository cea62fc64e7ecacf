// recvmsg/dgram beyond what Node's own tests check (tests/node_dgram runs those): rinfo says where a
// datagram arrived, `{ source: rinfo }` answers from there, errors carry node:dgram's fields; and the
// SocketError classes on Deno.
import assert from "node:assert/strict";
import dgram, { type RemoteInfo, type Socket } from "../../dgram.ts";
import { interfaces, listenDatagram, SocketClosedError, SocketError } from "../../mod.ts";
import { runtime, test, underWine } from "./harness.ts";
import { netnsUnavailable, shapedLink } from "./netns.ts";
import { scriptIn } from "./shaped_pair.ts";

function once<T extends unknown[]>(emitter: Socket, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    emitter.once(event, (...args: unknown[]) => resolve(args as T));
    if (event !== "error") emitter.once("error", reject);
  });
}

test(`recvmsg/dgram (${runtime}): rinfo says the local address and interface; { source: rinfo } answers from there`, async () => {
  const server: Socket = dgram.createSocket("udp4");
  const client: Socket = dgram.createSocket("udp4");
  try {
    server.bind(0, "0.0.0.0");
    await once(server, "listening");
    client.bind(0, "127.0.0.1");
    await once(client, "listening");
    const port = server.address().port;
    client.send("query", port, "127.0.0.2");
    const [msg, rinfo] = await once<[Uint8Array, RemoteInfo]>(server, "message");
    assert.equal(new TextDecoder().decode(msg), "query");
    assert.equal(rinfo.address, "127.0.0.1");
    assert.equal(rinfo.family, "IPv4");
    assert.equal(rinfo.port, client.address().port);
    assert.equal(rinfo.size, 5);
    assert.equal(rinfo.localAddress, "127.0.0.2", "the address the query was sent to, though bound to 0.0.0.0");
    const lo = interfaces().find((i) => i.addresses.some((a) => a.address === "127.0.0.1"));
    assert.equal(rinfo.interfaceIndex, lo?.index);
    assert.equal(rinfo.interface, lo?.name);
    assert.equal(typeof rinfo.hopLimit, "number");
    assert.equal(rinfo.truncated, false);

    const sent = new Promise<[Error | null, number | undefined]>((resolve) =>
      server.send("answer", rinfo.port, rinfo.address, { source: rinfo }, (e, n) => resolve([e, n]))
    );
    assert.deepEqual(await sent, [null, 6]);
    const [reply, from] = await once<[Uint8Array, RemoteInfo]>(client, "message");
    assert.equal(new TextDecoder().decode(reply), "answer");
    // Wine drops the source address a send names (see echo.test.ts); elsewhere the answer comes from it.
    if (!underWine) assert.equal(from.address, "127.0.0.2");
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
});

test(`recvmsg/dgram (${runtime}): errors as node:dgram gives them`, async () => {
  const first: Socket = dgram.createSocket("udp4");
  const second: Socket = dgram.createSocket("udp4");
  try {
    first.bind(0, "127.0.0.1");
    await once(first, "listening");
    const port = first.address().port;
    second.bind(port, "127.0.0.1");
    const [e] = await once<[Error & Record<string, unknown>]>(second, "error");
    assert.equal(e.code, "EADDRINUSE");
    assert.equal(e.syscall, "bind");
    assert.equal(e.address, "127.0.0.1");
    assert.equal(e.port, port);
    assert.equal(e.message, `bind EADDRINUSE 127.0.0.1:${port}`);
    assert.ok(typeof e.errno === "number" && e.errno < 0, "a negative errno, as libuv numbers them");
    assert.ok(e.cause instanceof SocketError, "this module's error underneath");
    // node:dgram (libuv) keeps the socket bind(2) refused: address() reports it unbound.
    assert.deepEqual(second.address(), { address: "0.0.0.0", family: "IPv4", port: 0 });
    const never = dgram.createSocket("udp4");
    assert.throws(() => never.address(), { code: "EBADF", syscall: "getsockname", message: "getsockname EBADF" });
    never.close();
    assert.throws(() => first.connect(0), { code: "ERR_SOCKET_BAD_PORT", name: "RangeError" });
    assert.throws(() => first.send("x", 1, "127.0.0.1", { hopLimit: 0 }), { code: "ERR_OUT_OF_RANGE" });
    // Numbers past 2^32 are shown as Node shows them.
    assert.throws(() => dgram.createSocket({ type: "udp4", recvBufferSize: 2 ** 40 }), {
      code: "ERR_OUT_OF_RANGE",
      message: /Received 1_099_511_627_776$/,
    });
  } finally {
    first.close();
    second.close();
  }
});

test(`recvmsg/dgram (${runtime}): a bind error names the address as the caller gave it, scope name included`, async () => {
  const s: Socket = dgram.createSocket("udp6");
  try {
    // No interface has fe80::1 here: the bind fails (EADDRNOTAVAIL, or EINVAL where "lo" names no interface).
    s.bind(0, "fe80::1%lo");
    const [e] = await once<[Error & Record<string, unknown>]>(s, "error");
    assert.equal(e.syscall, "bind");
    assert.equal(e.address, "fe80::1%lo");
    assert.equal(e.message, `bind ${e.code} fe80::1%lo`);
    assert.deepEqual(s.address(), { address: "::", family: "IPv6", port: 0 });
  } finally {
    s.close();
  }
});

test(`SocketError (${runtime}): instanceof holds, and on Deno it is also the matching Deno.errors class`, async () => {
  using a = listenDatagram({ hostname: "127.0.0.1" });
  let caught: unknown;
  try {
    listenDatagram({ hostname: "127.0.0.1", port: a.addr.port }).close();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SocketError);
  assert.ok(caught instanceof Error);
  assert.ok(!(caught instanceof SocketClosedError));
  assert.match((caught as SocketError).code, /EADDRINUSE$/);
  const b = listenDatagram({ hostname: "127.0.0.1" });
  const pending = b.receiveMsg();
  b.close();
  const closed = await pending.catch((e) => e);
  assert.ok(closed instanceof SocketClosedError);
  assert.ok(closed instanceof SocketError);
  const errors = (globalThis as { Deno?: { errors: Record<string, new () => Error> } }).Deno?.errors;
  if (errors) {
    assert.ok(caught instanceof errors.AddrInUse, "a second bind throws Deno.errors.AddrInUse, as Deno's own");
    assert.ok(!(caught instanceof errors.BadResource));
    assert.ok(closed instanceof errors.BadResource, "a closed socket is Deno.errors.BadResource");
  }
});

// Sends wait only when the send buffer is full, which loopback never is: a shaped link (netns.ts) fills it.
// A child in namespace a sends 300 datagrams of 1000 bytes with callbacks, then closes: node:dgram (libuv)
// cancels the sends still queued, and their callbacks say `send ECANCELED address:port`.
test(
  `recvmsg/dgram (${runtime}): sends still queued at close() are reported ECANCELED, as node:dgram reports them`,
  async () => {
    const { net, a, to } = shapedLink("dc", 16, "1mbit");
    using _net = net;
    const script = `
    import dgram from "${new URL("../../dgram.ts", import.meta.url).href}";
    // A small send buffer (the system doubles it): a few datagrams fill it.
    const s = dgram.createSocket({ type: "udp4", sendBufferSize: 16384 });
    const codes = {};
    let first = null;
    let queued = 0;
    s.bind(0, () => {
      for (let i = 0; i < 300; i++) {
        s.send(new Uint8Array(1000), 9, "${to}", (e) => {
          const k = e ? e.code : "ok";
          codes[k] = (codes[k] ?? 0) + 1;
          if (e && first === null) first = { message: e.message, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port };
        });
      }
      setTimeout(() => {
        queued = s.getSendQueueCount();
        s.close();
        setTimeout(() => console.log(JSON.stringify({ queued, codes, first })), 200);
      }, 50);
    });
  `;
    const { r, o } = await scriptIn(net, a, "dgram_cancel", script, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(o.queued > 0 && o.queued < 300, `some sends waited for room: ${r.stdout}`);
    assert.ok(o.codes.ok > 0, "the first went");
    assert.equal(o.codes.ECANCELED, o.queued, "the sends queued at close are the ones cancelled");
    assert.equal(
      o.codes.ok + o.codes.ECANCELED,
      300,
      `every callback ran, each ok or ECANCELED: ${JSON.stringify(o.codes)}`,
    );
    assert.equal(o.first.message, `send ECANCELED ${to}:9`);
    assert.equal(o.first.syscall, "send");
    assert.equal(o.first.address, to);
    assert.equal(o.first.port, 9);
    assert.ok(o.first.errno < 0, "a negative errno, as libuv numbers them");
  },
  { timeout: 60_000, windows: false, skip: netnsUnavailable() },
);
