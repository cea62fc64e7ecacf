// Fresh copies (no caller buffer) share 8 KiB chunks as Node's Buffer pool does: each copy keeps its own
// bytes, a transferred (detached) chunk is replaced, and datagrams of 4 KiB or more get an array of their own.
import assert from "node:assert/strict";
import { type DatagramMessage, listenDatagram } from "../../mod.ts";
import { runtime, Sender, test } from "./harness.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("fresh copies: small ones share a chunk, none changes another; 4 KiB and more own their buffer", async () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  const tx = await Sender.open("udp4");
  try {
    const sent = Array.from({ length: 40 }, (_, i) => `datagram ${i} `.repeat(1 + (i % 7)));
    for (const s of sent) await tx.send(s, "127.0.0.1", conn.addr.port);
    const got: DatagramMessage[] = [];
    for (let i = 0; i < sent.length; i++) got.push(await conn.receiveMsg({ signal: AbortSignal.timeout(5000) }));
    // Read after every receive: a later copy never wrote over an earlier one.
    assert.deepEqual(got.map((m) => text(m.data)), sent);
    const shared = got.filter((m) => m.data.buffer === got[0].data.buffer).length;
    // Deno and Node carve small copies from shared chunks; Bun gives each its own array (cheaper there).
    if (runtime === "bun") assert.equal(shared, 1, "on Bun each copy owns its buffer");
    else assert.ok(shared > 1, `small copies share a chunk (${shared} share the first's)`);
    for (const m of got) {
      assert.equal(m.data.byteOffset % 8, 0, "copies start 8-aligned");
      assert.ok(m.data.byteOffset + m.data.length <= m.data.buffer.byteLength);
    }
    // Copies do not overlap.
    const spans = got.filter((m) => m.data.buffer === got[0].data.buffer).map((m) => [m.data.byteOffset, m.data.length])
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i - 1][0] + spans[i - 1][1] <= spans[i][0], "no overlap");

    const big = new Uint8Array(4096).map((_, i) => i & 0xff);
    await tx.send(big, "127.0.0.1", conn.addr.port);
    const b = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(b.data.byteOffset, 0);
    assert.equal(b.data.buffer.byteLength, 4096, "a 4 KiB datagram owns its buffer");
    assert.deepEqual(b.data, big);
  } finally {
    await tx.close();
  }
});

test("fresh copies: a chunk transferred away (detached) is replaced; receives go on", async () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  const tx = await Sender.open("udp4");
  try {
    await tx.send("before", "127.0.0.1", conn.addr.port);
    const a = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(text(a.data), "before");
    structuredClone(a.data.buffer, { transfer: [a.data.buffer as ArrayBuffer] });
    assert.equal(a.data.buffer.byteLength, 0, "the chunk is detached");
    for (const s of ["after 1", "after 2"]) await tx.send(s, "127.0.0.1", conn.addr.port);
    const b = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
    const c = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.deepEqual([text(b.data), text(c.data)], ["after 1", "after 2"]);
    assert.notEqual(b.data.buffer, a.data.buffer);
  } finally {
    await tx.close();
  }
});

test("fresh copies: empty datagrams after a transferred chunk (a remote's choice) arrive, and so does all that follows", async () => {
  for (const readAhead of [0, 32]) {
    using conn = listenDatagram({ hostname: "127.0.0.1", readAhead });
    const tx = await Sender.open("udp4");
    try {
      await tx.send("x", "127.0.0.1", conn.addr.port);
      const a = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
      // As a program handing each datagram's bytes to a worker would.
      structuredClone(a.data.buffer, { transfer: [a.data.buffer as ArrayBuffer] });
      await tx.send(new Uint8Array(0), "127.0.0.1", conn.addr.port);
      await tx.send(new Uint8Array(0), "127.0.0.1", conn.addr.port);
      await tx.send("after", "127.0.0.1", conn.addr.port);
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await conn.receiveMsg({ signal: AbortSignal.timeout(5000) });
        got.push(text(m.data));
        // The first empty one came in a new chunk, at its start: transferred too, the next empty one
        // would start at 0 of a detached chunk.
        if (m.data.buffer.byteLength > 0) structuredClone(m.data.buffer, { transfer: [m.data.buffer as ArrayBuffer] });
      }
      assert.deepEqual(got, ["", "", "after"]);
    } finally {
      await tx.close();
    }
  }
});

test("received copies (out of the read-ahead arena on Linux): every byte, at every alignment of a caller's buffer, resizable ones, and the control of each", async () => {
  using conn = listenDatagram({ hostname: "0.0.0.0" });
  const tx = await Sender.open("udp4");
  try {
    // Lengths around the 4-byte words the copies move, to three local addresses in turn (their packet
    // info differs in one byte: a control record shared with the previous datagram's would show it).
    const lengths = [1, 2, 3, 4, 5, 31, 32, 33, 63, 64, 65, 67, 515, 1500];
    const sent = lengths.map((n, k) => new Uint8Array(n).map((_, i) => (i * 13 + k * 29 + 1) & 0xff));
    const to = (k: number) => `127.0.0.${1 + (k % 3)}`;
    const targets = [
      (n: number) => new Uint8Array(n + 8).subarray(0),
      (n: number) => new Uint8Array(n + 8).subarray(1),
      (n: number) => new Uint8Array(n + 8).subarray(2),
      (n: number) => new Uint8Array(n + 8).subarray(3),
      (n: number) => new Uint8Array(new ArrayBuffer(n + 8, { maxByteLength: 4 * n + 64 })),
      () => null,
    ];
    for (const [t, target] of targets.entries()) {
      for (let k = 0; k < sent.length; k++) await tx.send(sent[k], to(k), conn.addr.port);
      const got = [];
      for (let k = 0; k < sent.length; k++) {
        const buffer = target(sent[k].length);
        const m = await conn.receiveMsg({ signal: AbortSignal.timeout(5000), ...(buffer ? { buffer } : {}) });
        if (buffer) assert.equal(m.data.buffer, buffer.buffer, `target ${t}: the data is in the caller's buffer`);
        got.push(m);
      }
      // Read after all the receives: nothing later wrote over an earlier message's data or control.
      for (let k = 0; k < sent.length; k++) {
        assert.deepEqual(got[k].data, sent[k], `target ${t}, datagram ${k} of ${sent[k].length} bytes`);
        assert.equal(got[k].localAddr?.hostname, to(k), `target ${t}, datagram ${k}: its own packet info`);
        // The packet info record holds the local address (where in it is the platform's layout).
        const want = [127, 0, 0, 1 + (k % 3)].join();
        const found = got[k].control.some((c) =>
          [...c.data.keys()].some((i) => [...c.data.subarray(i, i + 4)].join() === want)
        );
        assert.ok(found, `target ${t}, datagram ${k}: its control holds 127.0.0.${1 + (k % 3)}`);
      }
    }
  } finally {
    await tx.close();
  }
});
