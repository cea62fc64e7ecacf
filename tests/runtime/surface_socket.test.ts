/** The local address after connect(), and the buffer sizes, on real sockets. */
import assert from "node:assert/strict";
import { listenDatagram, SocketClosedError } from "../../mod.ts";
import { onWindows, test } from "./harness.ts";

test("addr after connect() is the local address the system chose; disconnect() returns to the wildcard", async () => {
  using peer = listenDatagram({ hostname: "127.0.0.1" });
  using conn = listenDatagram({ hostname: "0.0.0.0" });
  const port = conn.addr.port;
  assert.deepEqual(conn.addr, { transport: "udp", hostname: "0.0.0.0", port });
  conn.connect({ hostname: "127.0.0.1", port: peer.addr.port });
  assert.deepEqual(conn.addr, { transport: "udp", hostname: "127.0.0.1", port });
  // What the peer sees is what addr says.
  await conn.send(new Uint8Array(1));
  const m = await peer.receiveMsg();
  assert.deepEqual(m.remoteAddr, conn.addr);
  conn.disconnect();
  assert.equal(conn.addr.port, port);
  if (!onWindows) assert.equal(conn.addr.hostname, "0.0.0.0");
});

test("addr after connect() on a dual-stack socket to an IPv6 loopback peer", () => {
  let conn;
  try {
    conn = listenDatagram({ hostname: "::" });
  } catch {
    return; // no IPv6 here
  }
  using _c = conn;
  using peer = listenDatagram({ hostname: "::1" });
  conn.connect({ hostname: "::1", port: peer.addr.port });
  assert.equal(conn.addr.hostname, "::1");
  assert.ok(conn.addr.port > 0);
});

test("getReceiveBufferSize / setReceiveBufferSize / getSendBufferSize read and set SO_RCVBUF / SO_SNDBUF", () => {
  using conn = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 65536 });
  const factor = onWindows ? 1 : 2; // Linux reports twice what was set (its bookkeeping)
  assert.equal(conn.getReceiveBufferSize(), 65536 * factor);
  conn.setReceiveBufferSize(32768);
  assert.equal(conn.getReceiveBufferSize(), 32768 * factor);
  conn.setSendBufferSize(40960);
  assert.equal(conn.getSendBufferSize(), 40960 * factor);
  conn.setSendBufferSize(20480);
  assert.equal(conn.getSendBufferSize(), 20480 * factor);
});

test("setReceiveBufferSize refuses what is not a positive integer with a RangeError naming bytes", () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  const before = conn.getReceiveBufferSize();
  for (const bad of [0, -1, 1.5, NaN, 2 ** 31, "4096", undefined]) {
    assert.throws(
      () => conn.setReceiveBufferSize(bad as number),
      (e: unknown) =>
        e instanceof RangeError && /^setReceiveBufferSize: bytes must be an integer from 1 to/.test(e.message),
      String(bad),
    );
  }
  assert.equal(conn.getReceiveBufferSize(), before, "nothing was set");
});

test("buffer sizes on a closed socket throw its closed error", () => {
  const conn = listenDatagram({ hostname: "127.0.0.1" });
  conn.close();
  assert.throws(() => conn.getReceiveBufferSize(), SocketClosedError);
  assert.throws(() => conn.getSendBufferSize(), SocketClosedError);
  assert.throws(() => conn.setReceiveBufferSize(4096), SocketClosedError);
});
