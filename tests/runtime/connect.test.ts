// Connected sockets for clients: sends without an address, datagrams only from the peer, remoteAddr,
// disconnect, and an ICMP port-unreachable surfaced as the system names it.
import assert from "node:assert/strict";
import { connectDatagram, listenDatagram, SocketError } from "../../mod.ts";
import { onWindows, runtime, sleep, test, underWine } from "./harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (d: Uint8Array) => new TextDecoder().decode(d);
const receive = (c: ReturnType<typeof listenDatagram>) => c.receiveMsg({ signal: AbortSignal.timeout(5000) });

test(`connectDatagram (${runtime}): send without an address, only the peer's datagrams arrive, remoteAddr, disconnect`, async () => {
  // Bound to the address the client connects to, so that replies come from it on every stack (Wine
  // drops the source address a send names, see echo.test.ts).
  using server = listenDatagram({ hostname: "127.0.0.2" });
  using stranger = listenDatagram({ hostname: "127.0.0.1" });
  using client = connectDatagram({ hostname: "127.0.0.2", port: server.addr.port });
  assert.deepEqual(client.remoteAddr, { transport: "udp", hostname: "127.0.0.2", port: server.addr.port });
  assert.equal(await client.send(enc("query")), 5);
  const q = await receive(server);
  assert.equal(dec(q.data), "query");
  assert.equal(q.localAddr?.hostname, "127.0.0.2");
  assert.equal(q.remoteAddr.port, client.addr.port);
  // Another sender's datagram is filtered out by the connection; the peer's arrives.
  await stranger.send(enc("not from the peer"), { hostname: "127.0.0.1", port: client.addr.port });
  await server.sendMsg(enc("answer"), q.remoteAddr, { localAddr: q.localAddr ?? undefined });
  const a = await receive(client);
  assert.equal(dec(a.data), "answer");
  assert.equal(a.remoteAddr.hostname, "127.0.0.2");
  await sleep(50);
  assert.equal(client.tryReceiveMsg(), null, "the stranger's datagram never arrived");
  // Disconnected: an address is needed again, and anyone's datagrams arrive.
  client.disconnect();
  client.disconnect();
  assert.equal(client.remoteAddr, null);
  await assert.rejects(
    client.send(enc("x")),
    (e: Error) => e instanceof TypeError && /remoteAddr is needed: this socket is not connected/.test(e.message),
  );
  await stranger.send(enc("now it arrives"), { hostname: "127.0.0.1", port: client.addr.port });
  assert.equal(dec((await receive(client)).data), "now it arrives");
  // Connected again, with an IPv4 address on a dual-stack socket too.
  using dual = connectDatagram({ hostname: "127.0.0.2", port: server.addr.port, localAddr: { hostname: "::" } });
  await dual.send(enc("from dual"));
  assert.equal(dec((await receive(server)).data), "from dual");
});

test(`connect (${runtime}): bad input is named; not connected sends need an address`, () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  assert.throws(
    () => conn.connect(null as unknown as { hostname: string; port: number }),
    (e: Error) => e instanceof TypeError && /connect: remoteAddr/.test(e.message),
  );
  assert.throws(
    () => conn.connect({ hostname: "127.0.0.1", port: 0 }),
    (e: Error) => e instanceof RangeError && /remoteAddr\.port/.test(e.message),
  );
  assert.throws(
    () => conn.connect({ hostname: "localhost", port: 53 }),
    (e: Error) => e instanceof TypeError && /hostname/.test(e.message),
  );
  assert.throws(
    () => conn.trySendMsg(enc("x")),
    (e: Error) => e instanceof TypeError && /trySendMsg: remoteAddr is needed/.test(e.message),
  );
  assert.throws(
    () => connectDatagram({ hostname: "127.0.0.1", port: 70000 }),
    (e: Error) => e instanceof RangeError && /^connectDatagram: port/.test(e.message),
  );
  assert.throws(
    () => connectDatagram({ hostname: 7 as unknown as string, port: 53 }),
    (e: Error) => e instanceof TypeError && /connectDatagram: hostname/.test(e.message),
  );
  // The peer is checked before the socket is made: a local port in use does not hide its error.
  using busy = listenDatagram({ hostname: "127.0.0.1" });
  const local = { hostname: "127.0.0.1", port: busy.addr.port };
  assert.throws(
    () => connectDatagram({ hostname: "127.0.0.1", port: 70000, localAddr: local }),
    (e: Error) =>
      e instanceof RangeError && /^connectDatagram: port must be an integer from 1 to 65535/.test(e.message),
  );
  for (const hostname of ["local host", "fe80::1%lo"]) {
    assert.throws(
      () => connectDatagram({ hostname, port: 53, localAddr: local }),
      (e: Error) => e instanceof TypeError && /^connectDatagram: hostname must be a numeric/.test(e.message),
    );
  }
  conn.close();
  assert.throws(() => conn.connect({ hostname: "127.0.0.1", port: 53 }), (e: Error) => e instanceof SocketError);
});

test(`an ICMP port-unreachable on a connected socket (${runtime}): ECONNREFUSED on Linux (Wine never reports it)`, async () => {
  const closed = listenDatagram({ hostname: "127.0.0.1" });
  const port = closed.addr.port;
  closed.close();
  using client = connectDatagram({ hostname: "127.0.0.1", port });
  await client.send(enc("anyone there?"));
  const r = await client.receiveMsg({ signal: AbortSignal.timeout(3000) }).then(() => null, (e) => e);
  if (underWine) {
    assert.equal(r?.name, "TimeoutError", "Wine never reports a port-unreachable");
    return;
  }
  assert.ok(r instanceof SocketError, String(r));
  assert.equal(r.code, onWindows ? "WSAECONNRESET" : "ECONNREFUSED");
  assert.match(r.message, /ICMP port-unreachable/);
});
