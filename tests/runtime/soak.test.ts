// The short soak (npm run soak runs 1,000,000): 50,000 datagrams through receiveMsg and messages(),
// each checked by sequence number and checksum, the same through the allocation-free loop (heap bound),
// then 500 open/receive/close cycles; nothing lost,
// corrupted, reordered or leaked.
import assert from "node:assert/strict";
import { runSoak } from "../../bench/soak_lib.ts";
import { test } from "./harness.ts";

test(
  "soak: 50,000 datagrams checked one by one, 50,000 more through reused messages and batches (heap within 1 MB), then 500 open/close cycles, without loss or leak",
  async () => {
    const r = await runSoak(50_000, 500);
    assert.deepEqual(r.failures, [], JSON.stringify(r));
    assert.equal(r.lost + r.corrupted + r.reordered, 0);
    assert.ok(r.handles.before > 0);
    assert.equal(r.reuse.lost + r.reuse.corrupted + r.reuse.reordered, 0);
    assert.ok(
      r.reuse.heapMB.after - r.reuse.heapMB.before <= 1,
      `heap over the reuse loop: ${JSON.stringify(r.reuse.heapMB)}`,
    );
  },
  { timeout: 120_000 },
);
