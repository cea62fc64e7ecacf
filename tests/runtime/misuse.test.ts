// Bad input and misuse, each refused with a named error before any system call (or handled), on every runtime.
import assert from "node:assert/strict";
import { posixStats } from "../../ffi/posix/posix.ts";
import { winsockStats } from "../../ffi/winsock/winsock.ts";
import { listenDatagram, SocketError, wrapSocket } from "../../mod.ts";
import { onWindows, rebindsAfterCollection, runtime, Sender, sleep, test } from "./harness.ts";

const bind = (port: number) => listenDatagram({ hostname: "127.0.0.1", port });
const inUse = (e: unknown) => e instanceof SocketError && /ADDRINUSE/.test(e.code);

const named = (re: RegExp, kind: typeof TypeError | typeof RangeError = TypeError) => (e: Error) =>
  e instanceof kind && re.test(e.message);

test("wrapSocket: a handle out of the platform's range is a RangeError naming it, before any call", () => {
  using keep = listenDatagram({ hostname: "127.0.0.1" });
  const before = onWindows ? winsockStats().startups : posixStats().open;
  assert.throws(() => wrapSocket(2n ** 64n), named(/wrapSocket: handle/, RangeError));
  assert.throws(() => wrapSocket(-1n), named(/wrapSocket: handle/, RangeError));
  assert.throws(() => wrapSocket("5" as unknown as bigint), named(/wrapSocket: handle must be a number or a bigint/));
  assert.throws(() => wrapSocket(-1), named(/wrapSocket: handle/, RangeError));
  assert.throws(() => wrapSocket(5.5), named(/wrapSocket: handle must be an integer/, RangeError));
  if (!onWindows) {
    // 2^32 + 5 would be fd 5 once cut to 32 bits: refused, not adopted.
    assert.throws(() => wrapSocket(2n ** 32n + 5n), named(/file descriptor from 0 to 2\^31-1/, RangeError));
    assert.throws(() => wrapSocket(2n ** 31n), named(/wrapSocket: handle/, RangeError));
  } else {
    assert.throws(() => wrapSocket(2n ** 64n - 1n), named(/SOCKET/, RangeError), "INVALID_SOCKET is not a socket");
  }
  assert.equal(onWindows ? winsockStats().startups : posixStats().open, before, "nothing was opened");
  assert.ok(keep.addr.port > 0);
});

test("flags are checked as whole numbers: 2**40 and 2**32 + 2 are refused, not cut to 0 or MSG_PEEK", () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  for (const flags of [2 ** 40, 2 ** 32 + 2, 2 ** 32, 1, 3, 0x8000]) {
    assert.throws(
      () => conn.tryReceiveMsg({ flags }),
      named(/flags may contain only MSG_PEEK/, RangeError),
      String(flags),
    );
  }
  assert.throws(() => conn.tryReceiveMsg({ flags: 1.5 }), named(/flags must be a non-negative integer/, RangeError));
  assert.equal(conn.tryReceiveMsg({ flags: 2 }), null);
  assert.equal(conn.tryReceiveMsg({ flags: 0 }), null);
});

test("listenDatagram: port null, ipv6Only on an IPv4 address, and zones on v4-mapped text are refused", () => {
  assert.throws(
    () => listenDatagram({ port: null as unknown as number }),
    named(/port must be a number/, TypeError),
  );
  assert.throws(
    () => listenDatagram({ port: "53" as unknown as number }),
    named(/port must be a number/, TypeError),
  );
  assert.throws(
    () => listenDatagram({ hostname: "127.0.0.1", ipv6Only: true }),
    named(/ipv6Only applies to an IPv6 socket/),
  );
  assert.throws(() => listenDatagram({ hostname: "::ffff:127.0.0.1%3" }), named(/hostname/));
  using v6 = listenDatagram({ hostname: "::1", ipv6Only: true });
  assert.equal(v6.addr.hostname, "::1");
});

test("a v4-mapped destination on an IPv4 socket is sent to the IPv4 address it maps", async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  assert.equal(
    await tx.sendMsg(new TextEncoder().encode("mapped"), { hostname: "::ffff:127.0.0.1", port: rx.addr.port }),
    6,
  );
  const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  assert.equal(new TextDecoder().decode(m.data), "mapped");
});

test("messages() refuses peek and flags at run time (it would yield one datagram forever)", async () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  const it = conn.messages({ peek: true } as unknown as Parameters<typeof conn.messages>[0]);
  await assert.rejects(it.next(), named(/messages: peek and flags are not allowed/));
  const it2 = conn.messages({ flags: 2 } as unknown as Parameters<typeof conn.messages>[0]);
  await assert.rejects(it2.next(), named(/messages: peek and flags are not allowed/));
});

test("receiveMsgs takes nothing ahead of receives that were already waiting", async () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  const tx = await Sender.open("udp4");
  try {
    const batch = conn.receiveMsgs(8, { signal: AbortSignal.timeout(5000) });
    const single = conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
    for (const t of ["1", "2", "3"]) await tx.send(t, "127.0.0.1", conn.addr.port);
    const [b, s] = await Promise.all([batch, single]);
    assert.equal(new TextDecoder().decode(b[0].data), "1");
    assert.equal(new TextDecoder().decode(s.data), "2", "the receive waiting second gets the second datagram");
    const rest = b.slice(1).map((m) => new TextDecoder().decode(m.data));
    await sleep(20);
    const left = conn.tryReceiveMsgs(8).map((m) => new TextDecoder().decode(m.data));
    assert.deepEqual([...rest, ...left], ["3"], "the third comes once, after the second");
  } finally {
    await tx.close();
  }
});

test("a batch with a large controlSize reuses its memory: 200 empty calls allocate no new area", () => {
  if (onWindows) return; // the Windows batch is a loop of single receives: it has no batch area
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  conn.tryReceiveMsgs(64, { controlSize: 40000 });
  const before = posixStats().batchAreas;
  for (let i = 0; i < 200; i++) assert.equal(conn.tryReceiveMsgs(64, { controlSize: 40000 }).length, 0);
  assert.equal(posixStats().batchAreas, before);
});

test(`a connection dropped without close() has its socket closed when collected (${runtime})`, async () => {
  const port = (() => listenDatagram({ hostname: "127.0.0.1" }).addr.port)();
  // Until the dropped connection's socket is closed, its port cannot be bound again.
  assert.ok(
    await rebindsAfterCollection(port, bind, inUse),
    "the dropped socket was closed, so its port could be bound again",
  );
}, { timeout: 30_000 });
