#!/usr/bin/env node
// Runs Node's own test/parallel/test-dgram-*.js (vendored unmodified in parallel/, with the common/ helpers
// they need) against recvmsg/dgram: `dgram` / `node:dgram` are redirected to dgram.ts by a resolve hook on
// Node (node_hooks.mjs) and by a preload that replaces the builtin's exports on Bun and Deno (preload.ts). Each test is its own process, as in Node's
// suite; a test passes when it exits with 0 within the time limit.
//
//   node tests/node_dgram/run.mjs [node,bun,deno|node|bun|deno|node-builtin] [test-dgram-x.js ...]
//
// Prints one line per test and then, per runtime and in all, `N passed, N failed, N skipped` (the skipped ones are those listed in
// skipped.json with the reason: not vendored, or waiting for a DatagramConn method, or not on this runtime).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const runtimes = (process.argv[2] ?? "node,bun").split(",");
const chosen = process.argv.slice(3);
const skipped = JSON.parse(readFileSync(join(here, "skipped.json"), "utf8"));
// Tests that need a DatagramConn method the connection layer does not have yet run once it has it.
const { DatagramConn } = await import("../../mod.ts");
const waiting = Object.fromEntries(
  Object.entries(skipped.needs ?? {}).filter(([, need]) => typeof DatagramConn.prototype[need.method] !== "function"),
);
// A vendored test listed in skipped.json is kept for reference and not run.
const tests = readdirSync(join(here, "parallel")).filter((f) =>
  /^test-dgram-.*\.m?js$/.test(f) && !(f in skipped.tests)
)
  .sort()
  .filter((f) => chosen.length === 0 || chosen.includes(f));

const bin = (name) => join(root, "node_modules", ".bin", name);
function command(runtime, file) {
  if (runtime === "bun") {
    // Bun runs node:test's describe/it only under `bun test`.
    const usesNodeTest = /['"]node:test['"]/.test(readFileSync(file, "utf8"));
    const preload = ["--preload", join(here, "preload.ts")];
    return [
      bin("bun"),
      usesNodeTest ? ["test", ...preload, `./${basename(file)}`] : [...preload, file],
    ];
  }
  if (runtime === "deno") return [bin("deno"), ["run", "-A", "--preload", join(here, "preload.ts"), file]];
  // Node's own node:dgram, for comparison: which of these tests the runtime itself passes.
  if (runtime === "node-builtin") {
    return [bin("node"), ["--no-webstorage", file]];
  }
  return [
    bin("node"),
    [
      "--disable-warning=ExperimentalWarning",
      "--no-webstorage",
      "--import",
      join(here, "node_hooks.mjs"),
      file,
    ],
  ];
}

function runOne(runtime, file) {
  return new Promise((resolve) => {
    const [cmd, args] = command(runtime, join(here, "parallel", file));
    // Its own process group, so that a test that started children is ended with them.
    const child = spawn(cmd, args, {
      detached: true,
      cwd: join(here, "parallel"),
      // Node's helpers check for leaked globals knowing Node's only: off on Bun and Deno, by the switch they offer.
      env: {
        ...process.env,
        NODE_TEST_DIR: here,
        ...(runtime === "bun" || runtime === "deno" ? { NODE_TEST_KNOWN_GLOBALS: "0", NO_COLOR: "1" } : {}),
        // A test with `// Flags:` is started again by its helpers with those flags, which Deno does not
        // keep in execArgv: it would start itself again and again. The helpers' switch runs it as it is.
        ...(runtime === "deno" ? { NODE_SKIP_FLAG_CHECK: "1" } : {}),
      },
    });
    let out = "";
    child.stdout.on("data", (d) => out += d);
    child.stderr.on("data", (d) => out += d);
    const timer = setTimeout(() => process.kill(-child.pid, "SIGKILL"), 30_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const runtime of runtimes) {
  const r = await runOn(runtime);
  for (const k of Object.keys(total)) total[k] += r[k];
}
console.log(
  `node_dgram: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`,
);
process.exitCode = total.failed === 0 ? 0 : 1;

async function runOn(runtime) {
  let passed = 0, failed = 0;
  const onlyOn = { ...waiting, ...(skipped[`not-on-${runtime}`] ?? {}) };
  const skippedCount = chosen.length ? 0 : Object.keys(skipped.tests).length + Object.keys(onlyOn).length;
  const queue = tests.filter((f) => !onlyOn[f]);
  // Two at a time: the tests use port 0 (or their own fixed ports, none shared between two files).
  async function worker() {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const t0 = Date.now();
      const { code, signal, out } = await runOne(runtime, file);
      const ms = Date.now() - t0;
      if (code === 0) {
        passed++;
        console.log(`ok   ${file} (${ms} ms)`);
      } else {
        failed++;
        console.log(
          `FAIL ${file} (${signal ? `killed by ${signal} after 30 s` : `exit ${code}`})\n${
            out.split("\n").slice(0, 40).map((l) => `     ${l}`).join("\n")
          }`,
        );
      }
    }
  }
  await Promise.all([worker(), worker()]);
  console.log(
    `node:dgram tests on ${runtime}: ${passed} passed, ${failed} failed, ${skippedCount} skipped`,
  );
  return { passed, failed, skipped: skippedCount };
}
