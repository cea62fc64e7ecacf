// Read-ahead (Linux recvmmsg behind receiveMsg, receive, messages, tryReceiveMsg and the batch calls):
// fewer system calls, and every call still gets exactly what its own system call would have given.
import assert from "node:assert/strict";
import { type DatagramConn, type DatagramMessage, listenDatagram } from "../../mod.ts";
import { MAX_HELD, readAheadStats } from "../../ffi/posix/read_ahead.ts";
import { onWindows, runtime, test } from "./harness.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (d: Uint8Array) => new TextDecoder().decode(d);
const linuxOnly = onWindows ? "read-ahead is Linux's (recvmmsg); Windows has one WSARecvMsg per datagram" : undefined;
// Linux's output flags.
const MSG_TRUNC = 0x20;
const MSG_CTRUNC = 0x8;

/** Sends `texts` to `rx` from `tx` in one go; on loopback they are queued at `rx` when this returns. */
function flood(tx: DatagramConn, rx: DatagramConn, texts: string[]): void {
  const r = tx.trySendMsgs(texts.map((t) => ({ data: enc(t), remoteAddr: rx.addr })));
  assert.deepEqual(r, { sent: texts.length, error: null });
}

/** What a message says, field by field, without the data's identity. */
function shape(m: DatagramMessage) {
  return {
    remote: m.remoteAddr,
    local: m.localAddr,
    flags: m.flags,
    truncated: m.truncated,
    controlTruncated: m.controlTruncated,
    hopLimit: m.hopLimit,
    control: m.control.map((c) => [c.level, c.type, [...c.data]]),
  };
}

test(
  `read-ahead (${runtime}): 40 queued datagrams reach 40 receiveMsg calls through at most 2 system calls, in order`,
  async () => {
    using rx = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 1 << 20 });
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    flood(tx, rx, Array.from({ length: 40 }, (_, i) => `d${i}`));
    const before = readAheadStats();
    for (let i = 0; i < 40; i++) {
      const m = await rx.receiveMsg();
      assert.equal(dec(m.data), `d${i}`);
      assert.equal(m.localAddr?.hostname, "127.0.0.1");
      assert.equal(m.remoteAddr.port, tx.addr.port);
    }
    const after = readAheadStats();
    assert.equal(after.datagrams - before.datagrams, 40, "every datagram came through read-ahead");
    assert.equal(after.fills - before.fills, 2, "32, then 8");
    assert.equal(rx.tryReceiveMsg(), null);
  },
  { skip: linuxOnly },
);

test(
  `read-ahead (${runtime}): readAhead: 0 makes one recvmsg per datagram; bad values are RangeErrors naming readAhead`,
  async () => {
    using rx = listenDatagram({ hostname: "127.0.0.1", readAhead: 0 });
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    flood(tx, rx, ["a", "b", "c"]);
    const before = readAheadStats().fills;
    for (const t of ["a", "b", "c"]) assert.equal(dec((await rx.receiveMsg()).data), t);
    assert.equal(readAheadStats().fills, before);
    for (const bad of [-1, 65, 1.5, Number.NaN, "32", null]) {
      assert.throws(
        () => listenDatagram({ hostname: "127.0.0.1", readAhead: bad as number }),
        (e: Error) => e instanceof RangeError && /readAhead must be an integer from 0 to 64/.test(e.message),
      );
    }
  },
  { skip: linuxOnly },
);

test(`read-ahead (${runtime}): every kind of receive, mixed, takes the datagrams in order, each with its own buffer, peek and reuse`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 1 << 20 });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  const texts = Array.from({ length: 60 }, (_, i) => `datagram-${i}-${"x".repeat(i)}`);
  flood(tx, rx, texts);
  let next = 0;
  const expect = (m: DatagramMessage | null, note: string) => {
    assert.ok(m, note);
    assert.equal(dec(m.data), texts[next], note);
    assert.equal(m.truncated, false, note);
    next++;
  };
  expect(await rx.receiveMsg(), "receiveMsg");
  // A smaller buffer truncates as the kernel would: the first bytes, MSG_TRUNC, the rest gone.
  const small = new Uint8Array(new ArrayBuffer(128)).subarray(0, 5);
  const cut = rx.tryReceiveMsg({ buffer: small })!;
  assert.equal(dec(cut.data), texts[next].slice(0, 5));
  assert.equal(cut.data.buffer, small.buffer);
  assert.equal(cut.truncated, true);
  assert.equal(cut.flags & MSG_TRUNC, onWindows ? 0 : MSG_TRUNC);
  next++;
  // A peek leaves it for the next call, which may reuse the peeked message.
  const peeked = rx.tryReceiveMsg({ peek: true })!;
  assert.equal(dec(peeked.data), texts[next]);
  const same = rx.tryReceiveMsg({ reuse: peeked });
  assert.equal(same, peeked, "reuse returns the same object");
  expect(same, "after the peek");
  const [data, from] = await rx.receive();
  assert.equal(dec(data), texts[next++]);
  assert.equal(from.port, tx.addr.port);
  // A batch takes what was read ahead first, each into its own segment, then the system's queue.
  const buffer = new Uint8Array(10 * 200);
  const batch = await rx.receiveMsgs(10, { buffer });
  assert.equal(batch.length, 10);
  for (let i = 0; i < 10; i++) {
    expect(batch[i], `batch ${i}`);
    assert.equal(batch[i].data.byteOffset, i * 200, "segment i");
  }
  const tried = rx.tryReceiveMsgs(30);
  assert.equal(tried.length, 30);
  for (const m of tried) expect(m, "tryReceiveMsgs");
  let seen = 0;
  for await (const m of rx.messages()) {
    expect(m, "messages()");
    if (++seen === texts.length - 44) break;
  }
  assert.equal(next, texts.length);
  assert.equal(rx.tryReceiveMsg(), null, "nothing duplicated");
});

test(
  `read-ahead (${runtime}): a smaller controlSize gets the control data cut exactly as its own recvmsg would cut it`,
  () => {
    using rx = listenDatagram({ hostname: "127.0.0.1", hopLimit: true });
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    const full = rx.tryReceiveMsg() ?? (flood(tx, rx, ["probe"]), rx.tryReceiveMsg()!);
    assert.equal(full.control.length, 2, "IP_PKTINFO and IP_TTL");
    const sizes = [...new Set([16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 64].filter((c) => c >= rx_required(rx)))];
    assert.ok(sizes.length >= 6, `sizes tried: ${sizes}`);
    let cuts = 0;
    for (const c of sizes) {
      flood(tx, rx, ["one", "two"]);
      // The queue read ahead is empty here, so a peek is a real recvmsg with `c` bytes of control.
      const own = rx.tryReceiveMsg({ peek: true, controlSize: c })!;
      const fills = readAheadStats().fills;
      assert.equal(dec(rx.tryReceiveMsg()!.data), "one");
      assert.equal(readAheadStats().fills, fills + 1, "both were read ahead");
      const served = rx.tryReceiveMsg({ controlSize: c })!;
      assert.equal(dec(served.data), "two");
      assert.deepEqual(shape(served), shape(own), `controlSize ${c}`);
      assert.equal((served.flags & MSG_CTRUNC) !== 0, served.controlTruncated, "MSG_CTRUNC set when cut");
      if (served.controlTruncated) cuts++;
    }
    assert.ok(cuts >= 3, "several sizes cut the control data");
  },
  { skip: linuxOnly },
);

/** The smallest controlSize the socket takes (a smaller one is refused before any call). */
function rx_required(rx: DatagramConn): number {
  for (let c = 0; c <= 64; c += 4) {
    try {
      rx.tryReceiveMsg({ controlSize: c, peek: true });
      return c;
    } catch {
      // refused: too small
    }
  }
  return 64;
}

test(
  `read-ahead (${runtime}): closed with datagrams read ahead — the arena is given back, the next receive rejects, other sockets go on`,
  async () => {
    const rx = listenDatagram({ hostname: "127.0.0.1" });
    using other = listenDatagram({ hostname: "127.0.0.1" });
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    flood(tx, rx, ["a", "b", "c"]);
    assert.equal(dec((await rx.receiveMsg()).data), "a");
    const held = readAheadStats();
    rx.close();
    assert.equal(readAheadStats().free, held.free + 1, "given back at close");
    await assert.rejects(rx.receiveMsg(), /closed/);
    flood(tx, other, ["x", "y"]);
    assert.equal(dec((await other.receiveMsg()).data), "x");
    assert.equal(dec((await other.receiveMsg()).data), "y");
  },
  { skip: linuxOnly },
);

test(
  `read-ahead (${runtime}): 300 sockets each holding datagrams; arenas follow the sockets that hold some, up to MAX_HELD, and all come back`,
  async () => {
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    const sockets = Array.from({ length: 300 }, () => listenDatagram({ hostname: "127.0.0.1" }));
    try {
      const start = readAheadStats();
      for (const rx of sockets) flood(tx, rx, ["first", "second"]);
      for (const rx of sockets) assert.equal(dec((await rx.receiveMsg()).data), "first");
      const holding = readAheadStats();
      const inUse = (s: { arenas: number; free: number }) => s.arenas - s.free;
      // One arena for each socket that holds datagrams read ahead, up to the cap; the others read one at a time.
      assert.equal(inUse(holding), Math.max(inUse(start), MAX_HELD), "arenas held");
      for (const rx of sockets) assert.equal(dec((await rx.receiveMsg()).data), "second");
      const done = readAheadStats();
      assert.equal(inUse(done), inUse(start), "every arena is free again");
      // Now one at a time: a socket gives its arena back before the next takes one, so none is made.
      for (const rx of sockets) {
        flood(tx, rx, ["third"]);
        assert.equal(dec((await rx.receiveMsg()).data), "third");
      }
      assert.equal(readAheadStats().arenas, done.arenas, "no arena made when they are taken in turn");
    } finally {
      for (const rx of sockets) rx.close();
    }
  },
  { skip: linuxOnly },
);

test(
  `read-ahead (${runtime}): datagrams of every size up to 65,507 bytes, mixed, come out whole and byte for byte, as fresh copies, into caller buffers (cut with MSG_TRUNC) and peeked`,
  async () => {
    using rx = listenDatagram({ hostname: "127.0.0.1", receiveBufferSize: 4 << 20 });
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    const sizes = [0, 1, 63, 64, 2047, 2048, 2049, 4095, 4096, 4097, 9000, 32768, 65507, 5, 2050, 65507, 70, 3000];
    // Every datagram's bytes differ from every other's, and from position to position.
    const payload = (n: number, k: number) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 7 + k * 31 + (i >> 8)) & 0xff);
    const send = () => {
      const r = tx.trySendMsgs(sizes.map((n, k) => ({ data: payload(n, k), remoteAddr: rx.addr })));
      assert.deepEqual(r, { sent: sizes.length, error: null });
    };
    const fills = readAheadStats().fills;
    send();
    // Fresh copies, with a peek of each datagram before it is taken.
    for (let k = 0; k < sizes.length; k++) {
      const peeked = rx.tryReceiveMsg({ peek: true });
      assert.ok(peeked, `datagram ${k} is queued`);
      assert.deepEqual(peeked.data, payload(sizes[k], k), `peek of datagram ${k} (${sizes[k]} bytes)`);
      const m = await rx.receiveMsg();
      assert.equal(m.data.length, sizes[k]);
      assert.deepEqual(m.data, payload(sizes[k], k), `datagram ${k} (${sizes[k]} bytes)`);
      assert.equal(m.truncated, false);
      assert.equal(m.localAddr?.hostname, "127.0.0.1");
    }
    assert.ok(readAheadStats().fills > fills, "the datagrams came through read-ahead");
    // Into a caller buffer of 3,000 bytes: longer datagrams are cut there, with MSG_TRUNC.
    send();
    const buffer = new Uint8Array(3000);
    for (let k = 0; k < sizes.length; k++) {
      const m = rx.tryReceiveMsg({ buffer })!;
      const kept = Math.min(sizes[k], buffer.length);
      assert.equal(m.data.length, kept, `datagram ${k}: ${sizes[k]} bytes into 3000`);
      assert.deepEqual(m.data, payload(sizes[k], k).subarray(0, kept));
      assert.equal(m.truncated, sizes[k] > buffer.length);
      assert.equal((m.flags & MSG_TRUNC) !== 0, sizes[k] > buffer.length);
    }
    assert.equal(rx.tryReceiveMsg(), null);
  },
  { skip: linuxOnly },
);
