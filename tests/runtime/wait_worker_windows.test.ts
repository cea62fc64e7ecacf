// Windows Node: the completion worker (ffi/runtime/node_iocp.ts) that carries the thread pool's wake-ups to
// the JS thread cannot start, or starts and fails: the waiting receive rejects with a typed error, and the
// next wait starts a worker again (tests/runtime/fixtures/iocp_child.ts; run under Wine here).
import assert from "node:assert/strict";
import { child, runtime, runtimeArgv, test } from "./harness.ts";

const FIXTURE = "tests/runtime/fixtures/iocp_child.ts";
const only = runtime === "node" ? null : "Node's completion worker";

for (const mode of ["missing", "throws"] as const) {
  test(
    `Windows Node: the completion worker ${
      mode === "missing" ? "cannot be made (its file is missing)" : "fails as it starts (its file throws)"
    }: the receive rejects with a typed SocketError, and the next wait starts it`,
    async () => {
      const c = child([...runtimeArgv(FIXTURE), mode], 60_000);
      const r = await c.done;
      assert.equal(r.code, 0, `ended with ${r.code}: ${r.stderr}`);
      const o = JSON.parse(r.stdout.trim().split("\n").pop()!);
      assert.match(o.first, /^SocketError EAGAIN: /, o.first);
      assert.match(o.first, /completion worker (could not start|failed)/);
      assert.equal(o.second, "got 5");
    },
    { windows: true, skip: only, timeout: 90_000 },
  );
}
