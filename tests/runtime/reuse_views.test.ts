// Reused messages and caller buffers: a reused message keeps its own view of the buffer when the new
// datagram fills exactly that (no object made), and never keeps a view of anything else; its control
// bytes and sender are those of its new datagram; a buffer of a Uint8Array subclass gives views of
// that class. The view memory (ffi/common/receive_target.ts ViewMemo) is checked on its own first.
import assert from "node:assert/strict";
import { type DatagramConn, type DatagramMessage, listenDatagram } from "../../mod.ts";
import { ViewMemo } from "../../ffi/common/receive_target.ts";
import { forceGC, runtime, sleep, test } from "./harness.ts";

class Bytes extends Uint8Array {}

test(`ViewMemo (${runtime}): keeps a view only when it is exactly the one asked for, of the same buffer`, () => {
  const memo = new ViewMemo();
  const target = new Uint8Array(4096);
  const a = memo.view(target, 128, 64, null, 2);
  assert.equal(a.buffer, target.buffer);
  assert.equal(a.byteOffset, 128);
  assert.equal(a.length, 64);
  assert.equal(a.constructor, Uint8Array);
  // Its own view, same slot, offset and length: kept.
  assert.equal(memo.view(target, 128, 64, a, 2), a);
  // Another length, another offset: a new view, right.
  const b = memo.view(target, 128, 63, a, 2);
  assert.notEqual(b, a);
  assert.deepEqual([b.byteOffset, b.length], [128, 63]);
  const c = memo.view(target, 192, 63, b, 2);
  assert.deepEqual([c.byteOffset, c.length, c.buffer === target.buffer], [192, 63, true]);
  // A view the memo did not make (another slot's, or the caller's own) of the same bytes: kept too.
  const mine = target.subarray(256, 320);
  assert.equal(memo.view(target, 256, 64, mine, 5), mine);
  // A view of another buffer at the same offset and length is never kept.
  const elsewhere = new Uint8Array(4096).subarray(192, 255);
  const d = memo.view(target, 192, 63, elsewhere, 2);
  assert.notEqual(d, elsewhere);
  assert.equal(d.buffer, target.buffer);
  // Nor the memo's own view for another caller buffer (a view of a subarray of target at offset 0).
  const part = target.subarray(1024);
  const e = memo.view(part, 0, 16, null, 3);
  assert.equal(e.byteOffset, 1024);
  const other = new Uint8Array(4096).subarray(1024);
  const f = memo.view(other, 0, 16, e, 3);
  assert.notEqual(f, e);
  assert.equal(f.buffer, other.buffer);
  // Without a message to reuse, the memo's own last view at the slot serves when it covers the same bytes
  // (a receive loop into one buffer makes no view), and only then.
  const loop = new Uint8Array(2048);
  const h = memo.view(loop, 0, 32, null, 0);
  assert.equal(memo.view(loop, 0, 32, null, 0), h);
  const shorter = memo.view(loop, 0, 31, null, 0);
  assert.notEqual(shorter, h);
  assert.deepEqual([shorter.byteOffset, shorter.length, shorter.buffer === loop.buffer], [0, 31, true]);
  const moved = memo.view(loop, 64, 31, null, 0);
  assert.deepEqual([moved.byteOffset, moved.length], [64, 31]);
  // Never an empty view twice: an out-of-bounds view reads as one.
  const empty = memo.view(loop, 0, 0, null, 0);
  assert.equal(empty.length, 0);
  assert.notEqual(memo.view(loop, 0, 0, null, 0), empty);
  // A subclass keeps its class.
  const bytes = new Bytes(256);
  const g = memo.view(bytes, 8, 8, null, 0);
  assert.ok(g instanceof Bytes);
  assert.deepEqual([g.byteOffset, g.length, g.buffer === bytes.buffer], [8, 8, true]);
});

test(`ViewMemo (${runtime}): holds the views of the last caller buffer only`, async () => {
  const memo = new ViewMemo();
  // Five buffers, each made and dropped in a function of its own and followed by the next: the memo holds
  // none of them once another came. JSC (Bun's engine) scans the stack conservatively, so a stray stack
  // word may keep one of them alive (seen under Wine); a memo that held its buffers would keep them all.
  const FIRST = 5;
  // Each in a slot of its own (1..5), so that a memo that kept the views of slots a later buffer did not
  // use would keep every one of them.
  const gone = Array.from({ length: FIRST }, (_, k): WeakRef<ArrayBuffer> => {
    const big = new Uint8Array(1 << 20);
    memo.view(big, k * 64, 64, null, k + 1);
    return new WeakRef(big.buffer);
  });
  // Another buffer, in slot 0 only: the views in slots 1..5 are let go too.
  const small = new Uint8Array(256);
  memo.view(small, 0, 8, null, 0);
  // A WeakRef's target lives to the end of the job that made or read it: collect in a later one.
  let collected = 0;
  for (let i = 0; i < 30 && collected < FIRST; i++) {
    await sleep(10);
    if (!forceGC()) return; // no gc() in this run: nothing to observe
    await sleep(10);
    collected = gone.filter((r) => r.deref() === undefined).length;
  }
  assert.ok(collected >= FIRST - 1, `${collected} of the ${FIRST} earlier buffers were collected`);
  assert.equal(memo.view(small, 0, 8, null, 0).buffer, small.buffer);
});

/** Receives `n` datagrams as one reused batch (waiting for the first; the rest are queued on loopback). */
async function batchOf(rx: DatagramConn, n: number, buffer: Uint8Array, reuse: DatagramMessage[] | null) {
  const out = await rx.receiveMsgs(n, { buffer, reuse, signal: AbortSignal.timeout(5000) });
  for (let tries = 0; out.length < n && tries < 100; tries++) {
    // A late datagram: take it alone and keep the batch's order (a datagram is never split across calls).
    await new Promise((r) => setTimeout(r, 10));
    const more = rx.tryReceiveMsgs(n - out.length, { buffer: buffer.subarray(out.length * 256) });
    out.push(...more);
  }
  assert.equal(out.length, n, "every datagram arrived");
  return out;
}

test(`reused batch (${runtime}): each message gets its new datagram's bytes, sender, local address and control; a view kept only when exact`, async () => {
  await using rx = listenDatagram({ hostname: "0.0.0.0" });
  await using one = listenDatagram({ hostname: "127.0.0.1" });
  await using two = listenDatagram({ hostname: "127.0.0.2" });
  const port = rx.addr.port;
  const N = 8;
  const buffer = new Uint8Array(N * 256);
  /** Datagram i of plan k: from `one` to 127.0.0.1 or from `two` to 127.0.0.2, alternately; sizes differ by plan. */
  const plan = (k: number) =>
    Array.from({ length: N }, (_, i) => {
      const first = (i + k) % 2 === 0;
      const size = 20 + ((i * 7 + k * 13) % 50);
      return {
        from: first ? one : two,
        to: first ? "127.0.0.1" : "127.0.0.2",
        data: new Uint8Array(size).map((_, b) => (b * 3 + i + k * 5) & 0xff),
      };
    });
  let batch: DatagramMessage[] | null = null;
  let lastViews: Uint8Array[] = [];
  let lastSizes: number[] = [];
  for (let round = 0; round < 4; round++) {
    // Rounds 1 and 3 repeat the sizes and senders of 0 and 2; from round 1 to 2 each message changes sender.
    const p = plan(round >> 1);
    for (const d of p) await d.from.sendMsg(d.data, { hostname: d.to, port });
    if (round === 3) {
      // The caller swaps a message's data for a view of another buffer at the same place: never kept.
      (batch![0] as { data: Uint8Array }).data = new Uint8Array(N * 256).subarray(0, lastSizes[0]);
    }
    const got: DatagramMessage[] = await batchOf(rx, N, buffer, batch);
    if (batch !== null) assert.equal(got, batch, "the same array back");
    for (let i = 0; i < N; i++) {
      const m = got[i];
      const d = p[i];
      const label = `round ${round}, datagram ${i}`;
      assert.deepEqual([...m.data], [...d.data], `${label}: bytes`);
      assert.equal(m.data.buffer, buffer.buffer, `${label}: a view of the caller's buffer`);
      assert.equal(m.data.byteOffset, i * 256, `${label}: segment i`);
      assert.equal(m.remoteAddr.hostname, d.to, `${label}: sender's address`);
      assert.equal(m.remoteAddr.port, d.from.addr.port, `${label}: sender's port`);
      assert.equal(m.localAddr?.hostname, d.to, `${label}: arrival address`);
      // The control bytes kept for this message are its own datagram's: the packet info names `d.to`.
      const dst = d.to.split(".").map(Number);
      const info = m.control.find((c) => c.data.length >= 8 && c.level === 0);
      assert.ok(info, `${label}: a packet info record`);
      const has = (bytes: Uint8Array) =>
        bytes.some((_, at) => at + 4 <= bytes.length && dst.every((x, j) => bytes[at + j] === x));
      assert.ok(has(info!.data), `${label}: packet info holds ${d.to}`);
      if (round === 1 || (round === 3 && i > 0)) {
        // Same segment and size as the round before: the message's view is kept.
        assert.equal(m.data, lastViews[i], `${label}: the same view`);
      }
    }
    lastViews = got.map((m) => m.data);
    lastSizes = got.map((m) => m.data.length);
    batch = got;
  }
});

test(`a buffer of a Uint8Array subclass (${runtime}): the datagram's view is of that class, reused or not`, async () => {
  await using rx = listenDatagram({ hostname: "127.0.0.1" });
  await using tx = listenDatagram({ hostname: "127.0.0.1" });
  const buffer = new Bytes(2048);
  await tx.sendMsg(new Uint8Array([1, 2, 3]), rx.addr);
  const m = await rx.receiveMsg({ buffer, signal: AbortSignal.timeout(5000) });
  assert.ok(m.data instanceof Bytes);
  assert.deepEqual([...m.data], [1, 2, 3]);
  await tx.sendMsg(new Uint8Array([4, 5, 6, 7]), rx.addr);
  const again = await rx.receiveMsg({ buffer, reuse: m, signal: AbortSignal.timeout(5000) });
  assert.equal(again, m);
  assert.ok(again.data instanceof Bytes);
  assert.deepEqual([...again.data], [4, 5, 6, 7]);
  assert.equal(again.data.buffer, buffer.buffer);
});

test(`receives into one buffer without reuse (${runtime}): same-sized datagrams share one view, each showing its own bytes`, async () => {
  await using rx = listenDatagram({ hostname: "127.0.0.1" });
  await using tx = listenDatagram({ hostname: "127.0.0.1" });
  const buffer = new Uint8Array(2048);
  const sizes = [5, 5, 6, 6, 5];
  for (let i = 0; i < sizes.length; i++) {
    await tx.sendMsg(new Uint8Array(sizes[i]).fill(i + 1), rx.addr);
  }
  const seen: Uint8Array[] = [];
  const it = rx.messages({ buffer, signal: AbortSignal.timeout(5000) });
  for (let i = 0; i < sizes.length; i++) {
    const r = await it.next();
    assert.equal(r.done, false);
    const data = r.value!.data;
    // Read before the next receive overwrites the buffer, as with any view of it.
    assert.deepEqual([...data], new Array(sizes[i]).fill(i + 1), `datagram ${i}: its own bytes`);
    assert.deepEqual(
      [data.buffer === buffer.buffer, data.byteOffset],
      [true, 0],
      `datagram ${i}: a view of the buffer`,
    );
    seen.push(data);
  }
  await it.return!();
  // 0 and 1 (5 bytes), then 2 and 3 (6 bytes): one view each; 4 is 5 bytes again, after a 6-byte view.
  assert.equal(seen[1], seen[0]);
  assert.notEqual(seen[2], seen[1]);
  assert.equal(seen[3], seen[2]);
  assert.notEqual(seen[4], seen[3]);
  assert.deepEqual(seen.map((v) => v.length), [5, 5, 6, 6, 5]);
  // The same with receiveMsg and tryReceiveMsg, which share the socket's memory of views.
  await tx.sendMsg(new Uint8Array([9, 9, 9, 9, 9]), rx.addr);
  const a = await rx.receiveMsg({ buffer, signal: AbortSignal.timeout(5000) });
  assert.equal(a.data, seen[4]);
  assert.deepEqual([...a.data], [9, 9, 9, 9, 9]);
});
