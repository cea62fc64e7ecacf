// What a held send keeps of its addresses (connection/transmit.ts): a frozen destination or source (as
// receives give them) as it is, any other copied, so that changing it after the call changes nothing.
// The last frozen one is remembered by identity: an object that is not frozen is copied every time,
// also right after a frozen one with the same fields.
import assert from "node:assert/strict";
import { ownDestination, ownSource, waitingCopy } from "../../connection/transmit.ts";
import { runtime, test } from "./harness.ts";

test(`held sends (${runtime}): frozen destinations kept, also when asked again; any other copied every time`, () => {
  const frozen = Object.freeze({ hostname: "127.0.0.1", port: 9 });
  assert.equal(ownDestination(frozen), frozen);
  assert.equal(ownDestination(frozen), frozen);
  const open = { hostname: "127.0.0.1", port: 9 };
  const a = ownDestination(open)!;
  assert.notEqual(a, open);
  assert.deepEqual(a, { hostname: "127.0.0.1", port: 9 });
  open.port = 10;
  assert.equal(a.port, 9);
  const b = ownDestination(open)!;
  assert.notEqual(b, open);
  assert.equal(b.port, 10);
  // Frozen later: from then on it is kept.
  Object.freeze(open);
  assert.equal(ownDestination(open), open);
  assert.equal(ownDestination(frozen), frozen);
  assert.equal(ownDestination(null), null);
  assert.equal(ownDestination(undefined), null);
});

test(`held sends (${runtime}): frozen sources kept, any other copied, as for destinations`, () => {
  const frozen = Object.freeze({ hostname: "127.0.0.2", interfaceIndex: 1 });
  assert.equal(ownSource(frozen), frozen);
  assert.equal(ownSource(frozen), frozen);
  const open: { hostname?: string; interfaceIndex?: number } = { hostname: "127.0.0.2", interfaceIndex: 1 };
  const a = ownSource(open)!;
  assert.notEqual(a, open);
  open.hostname = "127.0.0.3";
  assert.equal(a.hostname, "127.0.0.2");
  assert.equal(ownSource(open)!.hostname, "127.0.0.3");
  assert.equal(ownSource(undefined), undefined);
});

test(`held sends (${runtime}): a waiting copy owns its bytes and open addresses, and shares frozen ones`, () => {
  const to = Object.freeze({ hostname: "127.0.0.1", port: 9 });
  const source = { hostname: "127.0.0.1" };
  const data = new Uint8Array([1, 2, 3]);
  const t = waitingCopy({ data, to, source, hopLimit: 5, trafficClass: undefined, segmentSize: undefined });
  data[0] = 7;
  source.hostname = "127.0.0.9";
  assert.deepEqual([...t.data], [1, 2, 3]);
  assert.equal(t.to, to);
  assert.deepEqual(t.source, { hostname: "127.0.0.1", interfaceIndex: undefined });
  assert.equal(t.hopLimit, 5);
});
