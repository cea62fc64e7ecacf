// Bad input never costs a datagram (issue 19): buffers of shrunk resizable ArrayBuffers (messages()'s too,
// whose options are read once, when it is called), batch reuse
// arrays the batch cannot write, batches with one bad message, and adopting a socket this module owns
// are all refused before any system call, naming the parameter (and the index in a batch).
import assert from "node:assert/strict";
import { type DatagramConn, listenDatagram, wrapSocket } from "../../mod.ts";
import * as S from "../../structs/mod.ts";
import * as rawPosix from "./raw_posix.ts";
import * as rawWin from "./raw_winsock.ts";
import { onWindows, runtime, test } from "./harness.ts";

const { rawSocket } = onWindows ? rawWin : rawPosix;
type Resizable = ArrayBuffer & { resize(n: number): void };
const resizable = (n: number, max: number) => new ArrayBuffer(n, { maxByteLength: max }) as Resizable;
const named = (re: RegExp, type: ErrorConstructor = Error) => (e: unknown) =>
  e instanceof type && re.test((e as Error).message);

/** Sends `n` datagrams 1, 2, ... to `rx` and returns once they are queued (loopback delivers during the call). */
async function queue(rx: DatagramConn, n: number): Promise<void> {
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  for (let i = 1; i <= n; i++) await tx.sendMsg(new Uint8Array([i]), rx.addr);
}

for (const readAhead of [0, 32]) {
  test(`receive buffers (${runtime}, readAhead ${readAhead}): a view of a shrunk resizable buffer is refused naming buffer; no datagram lost`, async () => {
    using rx = listenDatagram({ hostname: "127.0.0.1", readAhead });
    await queue(rx, 2);
    const rab = resizable(100, 200);
    const fixed = new Uint8Array(rab, 50, 40);
    const tracking = new Uint8Array(rab, 50);
    // Its start still inside, its end not: out of bounds as well.
    const endPast = new Uint8Array(rab, 7, 60);
    rab.resize(20);
    for (const buffer of [fixed, tracking, endPast]) {
      await assert.rejects(rx.receiveMsg({ buffer }), named(/^receiveMsg: buffer .*shrunk/, RangeError));
      assert.throws(() => rx.tryReceiveMsg({ buffer }), named(/^tryReceiveMsg: buffer .*shrunk/, RangeError));
      await assert.rejects(rx.receive(buffer), named(/buffer .*shrunk/, RangeError));
      await assert.rejects(rx.receiveMsgs(2, { buffer }), named(/^receiveMsgs: buffer/, RangeError));
      assert.throws(() => rx.tryReceiveMsgs(2, { buffer }), named(/^tryReceiveMsgs: buffer/, RangeError));
    }
    // A length-tracking view in bounds still receives (it is merely small or empty).
    const ok = new Uint8Array(rab);
    assert.equal(rx.tryReceiveMsg({ buffer: ok })?.data[0], 1);
    assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data[0], 2, "nothing was lost");
  });

  test(`receive buffers (${runtime}, readAhead ${readAhead}): a waiting receive whose buffer shrank is refused before the call; the datagram stays`, async () => {
    using rx = listenDatagram({ hostname: "127.0.0.1", readAhead });
    const rab = resizable(64, 64);
    const waiting = rx.receiveMsg({ buffer: new Uint8Array(rab, 32, 32), signal: AbortSignal.timeout(5000) });
    rab.resize(8);
    await queue(rx, 1);
    await assert.rejects(waiting, named(/^receiveMsg: buffer .*shrunk/, RangeError));
    assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data[0], 1, "the datagram stayed");
  });

  test(`messages() (${runtime}, readAhead ${readAhead}): a buffer that shrank after messages() is refused by next(), naming it; no datagram lost`, async () => {
    using rx = listenDatagram({ hostname: "127.0.0.1", readAhead });
    await queue(rx, 2);
    const rab = resizable(64, 64);
    const it = rx.messages({ buffer: new Uint8Array(rab, 32, 32) });
    const first = await it.next();
    assert.equal(first.done, false);
    assert.equal(first.value!.data[0], 1);
    rab.resize(8);
    await assert.rejects(it.next(), named(/^messages: buffer .*shrunk/, RangeError));
    assert.deepEqual(await it.next(), { value: undefined, done: true }, "the rejection ended the iteration");
    assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data[0], 2, "nothing was lost");
  });
}

test(`send data (${runtime}): a view past the end of its shrunk resizable buffer is refused naming data (and the index), nothing sent`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  for (const batchSends of [false, true]) {
    using tx = listenDatagram({ hostname: "127.0.0.1", batchSends });
    const rab = resizable(100, 200);
    const endPast = new Uint8Array(rab, 7, 60);
    rab.resize(20);
    await assert.rejects(tx.sendMsg(endPast, rx.addr), named(/^sendMsg: data lies past the end/, RangeError));
    assert.throws(() => tx.trySendMsg(endPast, rx.addr), named(/^trySendMsg: data lies past the end/, RangeError));
    const ok = { data: new Uint8Array([9]), remoteAddr: rx.addr };
    await assert.rejects(
      tx.sendMsgs([ok, { data: endPast, remoteAddr: rx.addr }]),
      named(/^sendMsgs: messages\[1\]: data lies past the end/, RangeError),
    );
    assert.equal(await tx.sendMsg(new Uint8Array([7]), rx.addr), 1);
    await tx.flushSends();
    const m = await rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.deepEqual([...m.data], [7], "nothing of the refused calls was sent before it");
  }
});

test(`send destinations (${runtime}): a bad port or hostname is refused naming remoteAddr (and the index), before any call`, async () => {
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  const d = new Uint8Array(1);
  for (const port of [NaN, -1, 65536, 1.5, "53"]) {
    const to = { hostname: "127.0.0.1", port: port as number };
    await assert.rejects(
      tx.sendMsg(d, to),
      named(/^sendMsg: remoteAddr\.port must be an integer from 0 to 65535/, RangeError),
    );
    assert.throws(() => tx.trySendMsg(d, to), named(/^trySendMsg: remoteAddr\.port/, RangeError));
    await assert.rejects(
      tx.sendMsgs([{ data: d, remoteAddr: tx.addr }, { data: d, remoteAddr: to }]),
      named(/^sendMsgs: messages\[1\]\.remoteAddr\.port/, RangeError),
    );
  }
  for (const hostname of ["localhost", "", "1.2.3", "fe80::1%lo"]) {
    const to = { hostname, port: 9 };
    await assert.rejects(tx.sendMsg(d, to), named(/^sendMsg: remoteAddr\.hostname must be a numeric/, TypeError));
    assert.throws(() => tx.trySendMsg(d, to), named(/^trySendMsg: remoteAddr\.hostname/, TypeError));
  }
  // The same hostname after a good one, and a good one after a bad one.
  assert.equal(tx.trySendMsg(d, tx.addr), 1);
  await assert.rejects(tx.sendMsg(d, { hostname: "localhost", port: 9 }), TypeError);
  assert.equal(await tx.sendMsg(d, tx.addr), 1);
});

test(`joinMulticast (${runtime}): an option it does not know is refused naming it`, () => {
  using conn = listenDatagram({ hostname: "0.0.0.0" });
  assert.throws(
    () => conn.joinMulticast("224.0.0.251", { interfaceIndx: 1 } as never),
    named(/^joinMulticast: unknown option "interfaceIndx"/, TypeError),
  );
});

test(`reuse (${runtime}): a frozen message is refused naming it before a datagram is taken`, async () => {
  for (const readAhead of [0, 32]) {
    using rx = listenDatagram({ hostname: "127.0.0.1", readAhead });
    await queue(rx, 3);
    const m = rx.tryReceiveMsg()!;
    assert.equal(m.data[0], 1);
    Object.freeze(m);
    assert.throws(() => rx.tryReceiveMsg({ reuse: m }), named(/^tryReceiveMsg: reuse is frozen/, TypeError));
    await assert.rejects(rx.receiveMsg({ reuse: m }), named(/^receiveMsg: reuse is frozen/, TypeError));
    const batch = rx.tryReceiveMsgs(1);
    assert.equal(batch[0].data[0], 2);
    Object.freeze(batch[0]);
    assert.throws(
      () => rx.tryReceiveMsgs(1, { reuse: batch }),
      named(/^tryReceiveMsgs: reuse\[0\] is frozen/, TypeError),
    );
    assert.equal(rx.tryReceiveMsg()?.data[0], 3, "nothing was lost");
  }
});

test(`messages() (${runtime}): its options are read once, when it is called; a bad one rejects the first next() and takes nothing`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  const a = new Uint8Array(64);
  const b = new Uint8Array(64);
  const options: { buffer: Uint8Array; controlSize?: number } = { buffer: a };
  const it = rx.messages(options);
  // Changed before any next(), and again while the first waits: the iterator keeps `a`.
  options.buffer = b;
  options.controlSize = -1;
  const waiting = it.next();
  await queue(rx, 2);
  const m1 = (await waiting).value!;
  assert.equal(m1.data.buffer, a.buffer, "a waiting next() receives into the buffer given to messages()");
  assert.equal(m1.data[0], 1);
  const m2 = (await it.next()).value!;
  assert.equal(m2.data.buffer, a.buffer, "an immediate next() too");
  assert.equal(m2.data[0], 2);
  assert.equal(b[0], 0, "nothing was written into the buffer swapped in later");
  await it.return!();
  // A misspelt option, a bad controlSize: the first next() rejects naming messages(), and no datagram is taken.
  await queue(rx, 1);
  const bad = [
    [{ bufer: a }, /^messages: unknown option "bufer"/, TypeError],
    [{ controlSize: -1 }, /^messages: controlSize/, RangeError],
    [{ buffer: "x" }, /^messages: buffer must be a Uint8Array/, TypeError],
  ] as const;
  for (const [o, re, type] of bad) {
    const it2 = rx.messages(o as never);
    await assert.rejects(it2.next(), named(re, type));
    assert.deepEqual(await it2.next(), { value: undefined, done: true });
  }
  assert.equal((await rx.receiveMsg({ signal: AbortSignal.timeout(5000) })).data[0], 1, "the datagram stayed");
});

test(`messages() (${runtime}): options with getters are read once each; a getter that throws rejects the first next()`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  const made: Uint8Array[] = [];
  const fresh = {
    get buffer() {
      const b = new Uint8Array(64);
      made.push(b);
      return b;
    },
  };
  const it = rx.messages(fresh);
  assert.equal(made.length, 1, "read once, when messages() was called");
  const waiting = it.next();
  await queue(rx, 2);
  const m1 = (await waiting).value!;
  assert.equal(m1.data.buffer, made[0].buffer, "a waiting next() uses what was read");
  const m2 = (await it.next()).value!;
  assert.equal(m2.data.buffer, made[0].buffer, "an immediate next() too");
  assert.equal(made.length, 1, "and nothing read it again");
  await it.return!();
  const throwing = {
    get controlSize(): number {
      throw new Error("getter failed");
    },
  };
  const it2 = rx.messages(throwing);
  await assert.rejects(it2.next(), named(/^getter failed$/));
  assert.deepEqual(await it2.next(), { value: undefined, done: true });
});

test(`an empty datagram into a buffer that shrank and grew (${runtime}): the reused message gets an empty view, not its old one`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  const ab = resizable(2048, 4096);
  const buffer = new Uint8Array(ab);
  await queue(rx, 1);
  const m = await rx.receiveMsg({ buffer, signal: AbortSignal.timeout(5000) });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  await tx.sendMsg(new Uint8Array(100).fill(7), rx.addr);
  const big = await rx.receiveMsg({ buffer, reuse: m, signal: AbortSignal.timeout(5000) });
  assert.equal(big.data.length, 100);
  const old = big.data;
  // The 100-byte view lies past the end now: it reads length 0 and offset 0, as an empty view at 0 would.
  ab.resize(50);
  await tx.sendMsg(new Uint8Array(0), rx.addr);
  const empty = await rx.receiveMsg({ buffer, reuse: big, signal: AbortSignal.timeout(5000) });
  assert.equal(empty, big);
  assert.notEqual(empty.data, old, "not the old view");
  ab.resize(2048);
  assert.equal(empty.data.length, 0, "still empty once the buffer grew back");
  assert.equal(old.length, 100);
});

test(`batch reuse arrays (${runtime}): frozen, sealed, non-extensible, fixed-length and doubled arrays are refused before the call`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  await queue(rx, 4);
  const batch = rx.tryReceiveMsgs(2);
  assert.equal(batch.length, 2);
  const fixedLength = [...batch];
  Object.defineProperty(fixedLength, "length", { writable: false });
  const bad: [string, readonly unknown[]][] = [
    ["frozen", Object.freeze([...batch])],
    ["sealed", Object.seal([...batch])],
    ["non-extensible", Object.preventExtensions([...batch])],
    ["fixed length", fixedLength],
  ];
  for (const [what, reuse] of bad) {
    assert.throws(
      () => rx.tryReceiveMsgs(2, { reuse: reuse as never }),
      named(/^tryReceiveMsgs: reuse must be an array the batch can write/, TypeError),
      what,
    );
    await assert.rejects(rx.receiveMsgs(2, { reuse: reuse as never }), named(/^receiveMsgs: reuse/, TypeError), what);
  }
  const twice = [batch[0], batch[0]];
  assert.throws(
    () => rx.tryReceiveMsgs(2, { reuse: twice }),
    named(/reuse holds the same message twice \(reuse\[1\]\)/),
  );
  await assert.rejects(rx.receiveMsgs(2, { reuse: twice }), named(/^receiveMsgs: reuse holds the same message twice/));
  // Nothing was taken: both datagrams are still there, and the array can be reused as it should be.
  const again = rx.tryReceiveMsgs(2, { reuse: batch });
  assert.equal(again, batch);
  assert.deepEqual(again.map((m) => m.data[0]), [3, 4]);
});

test(`sendMsgs/trySendMsgs (${runtime}): every message is checked before anything is sent; errors name messages[i]`, async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1" });
  using tx = listenDatagram({ hostname: "127.0.0.1" });
  const good = (i: number) => ({ data: new Uint8Array([i]), remoteAddr: rx.addr });
  const cases: [number, object, RegExp, ErrorConstructor][] = [
    [
      80,
      { data: new Uint8Array(1), remoteAddr: { hostname: "127.0.0.1", port: 70000 } },
      /messages\[80\]\.remoteAddr\.port must be/,
      RangeError,
    ],
    [
      50,
      { data: new Uint8Array(1), remoteAddr: { hostname: "example.com", port: 9 } },
      /messages\[50\]\.remoteAddr\.hostname must be a numeric/,
      TypeError,
    ],
    [
      70,
      { data: new Uint8Array(1), remoteAddr: rx.addr, localAddr: { hostname: "::1" } },
      /messages\[70\]\.localAddr\.hostname must be a numeric IPv4/,
      TypeError,
    ],
    [99, { data: "text", remoteAddr: rx.addr }, /messages\[99\]: data must be a Uint8Array/, TypeError],
    [64, { data: new Uint8Array(1), remoteAddr: rx.addr, hopLimit: 0 }, /messages\[64\]: hopLimit/, RangeError],
  ];
  for (const [at, message, re, type] of cases) {
    const messages = Array.from({ length: 100 }, (_, i) => i === at ? message : good(i)) as never;
    await assert.rejects(tx.sendMsgs(messages), named(new RegExp(`^sendMsgs: ${re.source}`), type));
    assert.throws(() => tx.trySendMsgs(messages), named(new RegExp(`^trySendMsgs: ${re.source}`), type));
    assert.equal(rx.tryReceiveMsg(), null, `nothing was sent (messages[${at}] bad)`);
  }
  assert.deepEqual(await tx.sendMsgs([good(1), good(2)]), { sent: 2, error: null });
});

test(`wrapSocket (${runtime}): a handle this module already owns is refused with a sentence; it is forgotten at close`, async () => {
  const raw = rawSocket(S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_UDP);
  const conn = wrapSocket(raw, { packetInfo: false });
  try {
    assert.throws(
      () => wrapSocket(raw),
      named(/^wrapSocket: handle \d+ is the socket of an open connection of this module/, TypeError),
    );
    using listening = listenDatagram({ hostname: "127.0.0.1" });
    assert.throws(() => wrapSocket(listening.rawHandle), named(/open connection of this module/, TypeError));
    // Both still work: the refusal closed nothing.
    using tx = listenDatagram({ hostname: "127.0.0.1" });
    await tx.sendMsg(new Uint8Array([7]), listening.addr);
    assert.equal((await listening.receiveMsg({ signal: AbortSignal.timeout(5000) })).data[0], 7);
  } finally {
    conn.close();
  }
  // The next socket made most likely gets the same number (the lowest free fd); adopting it is allowed.
  const next = rawSocket(S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_UDP);
  using adopted = wrapSocket(next, { packetInfo: false });
  assert.equal(adopted.rawHandle, next);
});
