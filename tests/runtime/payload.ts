// Payloads that carry their sequence number and a pattern derived from it, for loss, order and corruption checks.
import assert from "node:assert/strict";
import type { DatagramMessage } from "../../mod.ts";

/** A payload that names its sequence number and whose every byte depends on it. */
export function payload(seq: number): Uint8Array {
  const len = 8 + (seq * 7) % 200;
  const p = new Uint8Array(len);
  new DataView(p.buffer).setUint32(0, seq, true);
  new DataView(p.buffer).setUint32(4, len, true);
  for (let i = 8; i < len; i++) p[i] = (seq * 31 + i * 17) & 0xff;
  return p;
}

/** Checks a message carries payload(seq) exactly, from loopback to 127.0.0.2. */
export function checkPayload(m: DatagramMessage, seq: number): void {
  const expected = payload(seq);
  if (m.data.length !== expected.length) {
    assert.fail(`datagram ${seq}: ${m.data.length} bytes, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    if (m.data[i] !== expected[i]) assert.fail(`datagram ${seq}: byte ${i} is ${m.data[i]}, expected ${expected[i]}`);
  }
  if (m.localAddr?.hostname !== "127.0.0.2") assert.fail(`datagram ${seq}: localAddr ${m.localAddr?.hostname}`);
  if (m.truncated) assert.fail(`datagram ${seq} truncated`);
}
