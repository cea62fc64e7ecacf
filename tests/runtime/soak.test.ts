// The short soak (npm run soak runs 1,000,000): 50,000 datagrams through receiveMsg and messages(),
// each checked by sequence number and checksum, then 500 open/receive/close cycles; nothing lost,
// corrupted, reordered or leaked.
import assert from "node:assert/strict";
import { runSoak } from "../../bench/soak_lib.ts";
import { test } from "./harness.ts";

test("soak: 50,000 datagrams checked one by one, then 500 open/close cycles, without loss or leak", async () => {
  const r = await runSoak(50_000, 500);
  assert.deepEqual(r.failures, [], JSON.stringify(r));
  assert.equal(r.lost + r.corrupted + r.reordered, 0);
  assert.ok(r.handles.before > 0);
}, { timeout: 120_000 });
