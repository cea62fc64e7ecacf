/** `closed`, `Symbol.asyncDispose` and `SendMsgsResult.error` on real sockets. */
import assert from "node:assert/strict";
import { listenDatagram, SocketClosedError, SocketError } from "../../mod.ts";
import { test } from "./harness.ts";

test("closed resolves when close() is called, not before; a waiting receive rejects first", async () => {
  const conn = listenDatagram({ hostname: "127.0.0.1" });
  let resolved = false;
  const closed = conn.closed.then(() => resolved = true);
  assert.equal(conn.closed, conn.closed, "one promise");
  const waiting = conn.receiveMsg();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(resolved, false);
  conn.close();
  await assert.rejects(waiting, SocketClosedError);
  await closed;
  assert.equal(resolved, true);
  // Asked for after close: already resolved.
  await conn.closed;
});

test("await using closes the socket at the end of the scope, and asyncDispose resolves with closed", async () => {
  let port = 0;
  let closed: Promise<void>;
  {
    await using conn = listenDatagram({ hostname: "127.0.0.1" });
    port = conn.addr.port;
    closed = conn.closed;
  }
  await closed;
  // The port is free again: a new socket can bind it without sharing.
  using again = listenDatagram({ hostname: "127.0.0.1", port });
  assert.equal(again.addr.port, port);
  const conn = listenDatagram({ hostname: "127.0.0.1" });
  await conn[Symbol.asyncDispose]();
  assert.throws(() => conn.tryReceiveMsg(), SocketClosedError);
  await conn[Symbol.asyncDispose](); // twice: nothing happens
});

test("SendMsgsResult.error is an Error (or null), typed so", async () => {
  using a = listenDatagram({ hostname: "127.0.0.1" });
  using b = listenDatagram({ hostname: "127.0.0.1" });
  const ok = await a.sendMsgs([{ data: new Uint8Array(1), remoteAddr: b.addr }]);
  const none: Error | null = ok.error;
  assert.equal(none, null);
  // Port 0 is refused by the backend before any system call: the batch stops at message 1.
  const r = await a.sendMsgs([
    { data: new Uint8Array(1), remoteAddr: b.addr },
    { data: new Uint8Array(1), remoteAddr: { hostname: "127.0.0.1", port: 0 } },
  ]);
  assert.equal(r.sent, 1);
  const e: Error | null = r.error;
  assert.ok(e instanceof Error, String(e));
  assert.ok(e instanceof SocketError || e instanceof TypeError || e instanceof RangeError, String(e));
  assert.equal(typeof e.message, "string");
});
