// Waiting never holds or breaks the process (issue 18, items 1, 3, 5, 6, 8, 10): each case runs in a child
// process (tests/runtime/fixtures/wait_child.ts) and is judged by how it ends and what it prints.
import assert from "node:assert/strict";
import { child, runtime, runtimeArgv, test } from "./harness.ts";
import { netnsUnavailable, shapedLink } from "./netns.ts";

const FIXTURE = "tests/runtime/fixtures/wait_child.ts";
const why = netnsUnavailable();

async function run(argv: string[], timeoutMs = 20_000): Promise<{ code: number | null; out: string; err: string }> {
  const c = child(argv, timeoutMs);
  const r = await c.done;
  return { code: r.code, out: r.stdout, err: r.stderr };
}
const last = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

for (const how of ["exit", "throw"] as const) {
  test(
    `${how === "exit" ? "process.exit(3)" : "an uncaught exception"} while a receive waits ends the process at once`,
    async () => {
      const r = await run([...runtimeArgv(FIXTURE), "hold", how], 15_000);
      assert.match(r.out, /waiting/, r.err);
      assert.equal(r.code, how === "exit" ? 3 : 1, `ended with ${r.code} (null: killed after 15 s, it hung) ${r.err}`);
    },
    { timeout: 40_000 },
  );

  test(
    `${
      how === "exit" ? "process.exit(3)" : "an uncaught exception"
    } while a receive and a send wait ends the process at once`,
    async () => {
      const { net, a, to } = shapedLink("we", 11, "64kbit");
      using _net = net;
      const r = await run([...net.run(a), ...runtimeArgv(FIXTURE), "hold", how, to], 15_000);
      assert.match(r.out, /waiting/, r.err);
      assert.equal(r.code, how === "exit" ? 3 : 1, `ended with ${r.code} (null: killed after 15 s) ${r.err}`);
    },
    { windows: false, timeout: 30_000, skip: why },
  );
}

test(
  "2,000 sockets each with a receive and a send waiting, under a hard fd limit of 2,100: none rejected",
  async () => {
    const { net, a, to } = shapedLink("wm", 12, "10mbit");
    using _net = net;
    const r = await run(
      [...net.run(a), "prlimit", "--nofile=2100:2100", ...runtimeArgv(FIXTURE), "many", "2000", to],
      60_000,
    );
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(last(r.out), { received: 2000, rejected: 0 });
  },
  { windows: false, timeout: 90_000, skip: why },
);

test(
  "the first wait meets EMFILE: the receive rejects with a typed error, close() closes, the next wait works",
  async () => {
    const r = await run(["prlimit", "--nofile=512:512", ...runtimeArgv(FIXTURE), "emfile"], 30_000);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(last(r.out), { first: "SocketError EMFILE", closed: "closed", recovered: "got 5" });
  },
  { windows: false, timeout: 40_000 },
);

test(
  "a wait refused (EMFILE) for a receive aborted in the same tick is nobody's error: a later receive gets its datagram",
  async () => {
    const r = await run(["prlimit", "--nofile=512:512", ...runtimeArgv(FIXTURE), "emfile-abort"], 30_000);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(last(r.out), { first: "aborted", later: "got 3", next: "null" });
  },
  { windows: false, timeout: 40_000 },
);

test("IP_RECVERR set through rawHandle, an ICMP error queued: a waiting receive does not spin", async () => {
  const r = await run([...runtimeArgv(FIXTURE), "recverr"]);
  assert.equal(r.code, 0, r.err);
  const o = last(r.out);
  assert.equal(o.outcome, "TimeoutError");
  // A spin burns the whole second of waiting (or a core's share of it); a wait burns next to nothing.
  assert.ok(o.cpuMs < 0.25 * o.wallMs, `${o.cpuMs.toFixed(0)} ms of CPU in ${o.wallMs.toFixed(0)} ms of waiting`);
}, { windows: false });

test("2,000 datagrams from node:dgram in the same process all reach a waiting receive", async () => {
  const r = await run([...runtimeArgv(FIXTURE), "dgram", "2000"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(last(r.out).received, 2000);
}, {
  windows: false,
  // Bun delivers its worker's wake-ups behind its own dgram callbacks: under load a burst overflows the
  // receive buffer (44 of 2,000 lost at times, before this change as after it).
  skip: runtime === "bun" ? "Bun's worker wake-ups queue behind its dgram callbacks (open)" : null,
});

test("Node under the permission model (--permission --allow-ffi): a receive waits and resolves", async () => {
  const exec = (globalThis as unknown as { process: { execPath: string; cwd(): string } }).process;
  const r = await run([
    exec.execPath,
    "--no-warnings",
    "--permission",
    "--allow-ffi",
    // The fixture's own sender is a node:dgram socket; the module itself needs only --allow-ffi.
    "--allow-net",
    `--allow-fs-read=${exec.cwd()}`,
    FIXTURE,
    "many",
    "3",
  ]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(last(r.out), { received: 3, rejected: 0 });
}, { windows: false, skip: runtime === "node" ? null : "Node's permission model" });

test(
  "Bun: the waiting worker cannot start (EMFILE): the receive rejects with a typed error, and the next wait starts it",
  async () => {
    // Four descriptors given back: the event queue and its control channel open, the worker then fails
    // (Bun 1.4.5 needs more; with two or three it aborts the whole process itself).
    const r = await run(["prlimit", "--nofile=512:512", ...runtimeArgv(FIXTURE), "emfile", "4"], 30_000);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(last(r.out), { first: "SocketError EAGAIN", closed: "closed", recovered: "got 5" });
  },
  { windows: false, timeout: 40_000, skip: runtime === "bun" ? null : "Bun's waiting worker" },
);
