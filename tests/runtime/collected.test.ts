// A connection the program no longer refers to is closed by its finalizer only when nothing waits on it:
// a pending receive, error read or held send keeps it (whatever will call the wait back reaches it), so
// the collector never closes a socket under a wait. Once idle again it is collected as before.
import assert from "node:assert/strict";
import { platform } from "node:os";
import { type DatagramMessage, listenDatagram, type QueuedError, SocketError } from "../../mod.ts";
import { forceGC, rebindsAfterCollection, runtime, Sender, sleep, test } from "./harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Collects what it can, several times across turns (a WeakRef or finalizer may need a later job). */
async function collect(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    forceGC();
    await sleep(10);
  }
}

test(`a receive waiting on a connection nobody refers to still gets its datagram (${runtime})`, async () => {
  let port = 0;
  // The connection is made and dropped inside this function: only its pending receive is left.
  const pending = ((): Promise<DatagramMessage> => {
    const conn = listenDatagram({ hostname: "127.0.0.1" });
    port = conn.addr.port;
    return conn.receiveMsg({ signal: AbortSignal.timeout(10_000) });
  })();
  await collect();
  const tx = await Sender.open();
  try {
    await tx.send("still here", "127.0.0.1", port);
    const m = await pending;
    assert.equal(dec(m.data), "still here");
    assert.equal(m.remoteAddr.port, tx.port);
  } finally {
    await tx.close();
  }
});

test(`a messages() loop over a connection nobody refers to keeps receiving (${runtime})`, async () => {
  let port = 0;
  const got: string[] = [];
  const loop = (async () => {
    const conn = listenDatagram({ hostname: "127.0.0.1" });
    port = conn.addr.port;
    for await (const m of conn.messages()) {
      got.push(dec(m.data));
      if (got.length === 3) break; // ends the iterator: the connection is left to the collector
    }
  })();
  await sleep(0);
  const tx = await Sender.open();
  try {
    for (const word of ["one", "two", "three"]) {
      await collect(2);
      await tx.send(word, "127.0.0.1", port);
    }
    await loop;
    assert.deepEqual(got, ["one", "two", "three"]);
  } finally {
    await tx.close();
  }
});

test(`held sends of a connection dropped at once still go (${runtime})`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port: rx.addr.port };
  await (async () => {
    const conn = listenDatagram({ hostname: "127.0.0.1", batchSends: true });
    for (let i = 0; i < 3; i++) await conn.sendMsg(enc(`held ${i}`), to); // resolved at once, held
  })();
  // Collected now, before the turn that sends what is held, the socket would close with them unsent.
  forceGC();
  const got: string[] = [];
  for (let i = 0; i < 3; i++) got.push(dec((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data));
  assert.deepEqual(got, ["held 0", "held 1", "held 2"]);
});

test(`an error read waiting on a connection nobody refers to still gets its record (${runtime})`, async () => {
  let port = 0;
  const closed = listenDatagram({ hostname: "127.0.0.1" });
  const deadPort = closed.addr.port;
  closed.close();
  const pending = ((): Promise<QueuedError> => {
    const conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
    port = conn.addr.port;
    const waiting = conn.receiveError({ signal: AbortSignal.timeout(10_000) });
    // The send that draws the ICMP error goes from this connection, before it is dropped.
    conn.trySendMsg(enc("anyone?"), { hostname: "127.0.0.1", port: deadPort });
    return waiting;
  })();
  await collect();
  const record = await pending;
  assert.equal(record.code, "ECONNREFUSED");
  assert.deepEqual(record.destination, { transport: "udp", hostname: "127.0.0.1", port: deadPort });
  assert.equal(dec(record.payload), "anyone?");
  assert.ok(port > 0);
}, { skip: platform() === "linux" ? null : "the error queue is Linux's (IP_RECVERR)" });

test(`a connection that waited, sent and went idle is still closed when collected (${runtime})`, async () => {
  const tx = await Sender.open();
  let port = 0;
  try {
    await (async () => {
      const conn = listenDatagram({ hostname: "127.0.0.1" });
      port = conn.addr.port;
      const waiting = conn.receiveMsg();
      await tx.send("wake", "127.0.0.1", port);
      assert.equal(dec((await waiting).data), "wake");
      await conn.sendMsg(enc("back"), { hostname: "127.0.0.1", port: tx.port });
      const aborted = new AbortController();
      const gone = conn.receiveMsg({ signal: aborted.signal });
      aborted.abort();
      await gone.catch(() => {});
    })();
  } finally {
    await tx.close();
  }
  // Until the dropped connection's socket is closed, its port cannot be bound again.
  const bind = (port: number) => listenDatagram({ hostname: "127.0.0.1", port });
  const inUse = (e: unknown) => e instanceof SocketError && /ADDRINUSE/.test(e.code);
  assert.ok(await rebindsAfterCollection(port, bind, inUse), "the idle connection was collected and its socket closed");
}, { timeout: 30_000 });
