// sendMsg({ segmentSize }): one buffer sent as many datagrams. Linux: one UDP_SEGMENT send (GSO),
// seen for real on loopback, where a coalescing receiver gets it back as one message; a batch where the
// kernel refuses (EINVAL when UDP checksums are off, as a driver without the offload answers EIO) and
// beyond 64 segments. Windows here (Wine) and macOS: always a batch.
import assert from "node:assert/strict";
import { listenDatagram, SocketError } from "../../mod.ts";
import { onWindows, runtime, sleep, test, underWine } from "./harness.ts";
import { setIntOption } from "./raw_posix.ts";

const bulk = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) % 251);
const SOL_SOCKET = 1;
const SO_NO_CHECK = 11;
const LOOPBACK_MTU = onWindows ? 0 : Number(
  (globalThis as unknown as {
    process: { getBuiltinModule(id: string): { readFileSync(p: string, e: string): string } };
  }).process.getBuiltinModule("node:fs").readFileSync("/sys/class/net/lo/mtu", "utf8"),
);

/** Every datagram queued at `rx` now (after a moment for loopback). */
async function drain(rx: ReturnType<typeof listenDatagram>) {
  await sleep(underWine ? 200 : 30);
  const out = [];
  for (let m = rx.tryReceiveMsg(); m; m = rx.tryReceiveMsg()) out.push(m);
  return out;
}

/** The datagrams are `data` cut every `size` bytes, in order. */
function assertSegments(got: { data: Uint8Array }[], data: Uint8Array, size: number) {
  assert.equal(got.length, Math.ceil(data.length / size), "one datagram per segment");
  got.forEach((m, i) => assert.deepEqual(m.data, data.subarray(i * size, (i + 1) * size), `segment ${i}`));
}

test(`segmentSize (${runtime}): 10,500 bytes in 1,000-byte segments arrive as 11 datagrams in order, from the chosen source`, async () => {
  using tx = listenDatagram({ hostname: "0.0.0.0" });
  using rx = listenDatagram({ hostname: "0.0.0.0", receiveBufferSize: 1 << 20 });
  const data = bulk(10_500);
  const sent = await tx.sendMsg(data, { hostname: "127.0.0.1", port: rx.addr.port }, {
    segmentSize: 1000,
    localAddr: underWine ? undefined : { hostname: "127.0.0.3" },
  });
  assert.equal(sent, 10_500, "the bytes of all segments");
  const got = await drain(rx);
  assertSegments(got, data, 1000);
  if (!underWine) assert.ok(got.every((m) => m.remoteAddr.hostname === "127.0.0.3"), "each from the chosen source");
  // trySendMsg alike; data that fits one segment is one ordinary datagram.
  assert.equal(tx.trySendMsg(data.subarray(0, 2500), rx.addr, { segmentSize: 1000 }), 2500);
  assert.equal(await tx.sendMsg(data.subarray(0, 700), rx.addr, { segmentSize: 1000 }), 700);
  const more = await drain(rx);
  assert.deepEqual(more.map((m) => m.data.length), [1000, 1000, 500, 700]);
});

test(
  `segmentSize (${runtime}): the kernel cuts one send (GSO): a coalescing receiver gets it back as one message`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    using rx = listenDatagram({ hostname: "127.0.0.1", coalesce: true });
    const data = bulk(6_000);
    assert.equal(await tx.sendMsg(data, rx.addr, { segmentSize: 1200 }), 6_000);
    const got = await drain(rx);
    // Loopback hands a GSO send to a UDP_GRO socket whole; five separate sends would arrive as five.
    assert.equal(got.length, 1, "one GSO send, kept whole by GRO");
    assert.equal(got[0].segmentSize, 1200);
    assert.deepEqual(got[0].data, data);
  },
  {
    skip: onWindows
      ? "Windows sends segments as a batch here (UDP_SEND_MSG_SIZE is not used: Wine drops send control data)"
      : undefined,
  },
);

test(
  `segmentSize (${runtime}): where the kernel refuses (EINVAL), the segments go as a batch, and the socket stops asking`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    using rx = listenDatagram({ hostname: "127.0.0.1", coalesce: true });
    // UDP_SEGMENT needs checksums: with SO_NO_CHECK the kernel answers EINVAL, as a driver without the offload would.
    setIntOption(tx.rawHandle, SOL_SOCKET, SO_NO_CHECK, 1);
    const data = bulk(6_000);
    assert.equal(await tx.sendMsg(data, rx.addr, { segmentSize: 1200 }), 6_000);
    const got = await drain(rx);
    assert.equal(got.length, 5, "five datagrams, not one GSO send");
    assertSegments(got, data, 1200);
    assert.equal(tx.trySendMsg(data, rx.addr, { segmentSize: 3000 }), 6_000, "later sends go as a batch at once");
    assert.deepEqual((await drain(rx)).map((m) => m.data.length), [3000, 3000]);
  },
  { skip: onWindows ? "Linux's refusal (Windows always sends a batch here)" : undefined },
);

test(`segmentSize (${runtime}): 100 segments (more than one UDP_SEGMENT send takes) arrive as 100 datagrams in order`, async () => {
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  using rx = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 1 << 20 });
  const data = bulk(10_000);
  assert.equal(await tx.sendMsg(data, rx.addr, { segmentSize: 100 }), 10_000);
  assertSegments(await drain(rx), data, 100);
});

test(`segmentSize (${runtime}): bad values are RangeErrors naming segmentSize; sendMsgs refuses it`, async () => {
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  for (const bad of [0, -1, 1.5, 65536, Number.NaN, "100", null]) {
    await assert.rejects(
      tx.sendMsg(bulk(10), tx.addr, { segmentSize: bad as number }),
      (e: Error) => e instanceof RangeError && /segmentSize must be an integer from 1 to 65535/.test(e.message),
    );
    assert.throws(() => tx.trySendMsg(bulk(10), tx.addr, { segmentSize: bad as number }), RangeError);
  }
  await assert.rejects(
    tx.sendMsgs([{ data: bulk(10), remoteAddr: tx.addr, segmentSize: 5 } as never]),
    /messages\[0\]\.segmentSize is not taken here/,
  );
});

test(`segmentSize (${runtime}): a segment too large for UDP fails with the system's EMSGSIZE; sent as a batch, the error says how many went`, async () => {
  const code = onWindows ? "WSAEMSGSIZE" : "EMSGSIZE";
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  // IPv4 UDP carries at most 65,507 bytes: the first segment (65,520) cannot go.
  if (!onWindows) {
    // One UDP_SEGMENT send: all or nothing, so the error is the call's own.
    using gso = listenDatagram({ hostname: "127.0.0.1" });
    await assert.rejects(
      gso.sendMsg(bulk(65_535), rx.addr, { segmentSize: 65_520 }),
      (e: SocketError) => e.code === code && !/segments had been sent/.test(e.message),
    );
  }
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  if (!onWindows) {
    // A socket that has met the kernel's refusal (EINVAL without checksums) sends segments as a batch.
    setIntOption(tx.rawHandle, SOL_SOCKET, SO_NO_CHECK, 1);
    assert.equal(await tx.sendMsg(bulk(3000), rx.addr, { segmentSize: 1000 }), 3000);
    assert.equal((await drain(rx)).length, 3);
  }
  await assert.rejects(tx.sendMsg(bulk(65_535), rx.addr, { segmentSize: 65_520 }), (e: unknown) => {
    assert.ok(e instanceof SocketError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, /\(0 of 2 segments had been sent\)/);
    // What the send learned stays on the error: the path MTU to the destination (loopback's, which
    // IPv4's IP_MTU reports at most as 65,535).
    if (!onWindows) assert.equal(e.pathMtu, Math.min(LOOPBACK_MTU, 65_535));
    return true;
  });
  assert.deepEqual(await drain(rx), [], "nothing went");
});
