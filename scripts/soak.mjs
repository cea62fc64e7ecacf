#!/usr/bin/env node
// `npm run soak`: bench/soak.ts on Linux Deno, Linux Bun, Linux Node, Windows Deno, Windows Bun and Windows Node (under Wine):
// SOAK_COUNT datagrams (default 1,000,000) through receiveMsg and messages(), each checked, the same
// count through the allocation-free loop (reused messages and batches; heap bound 1 MB), then
// SOAK_CYCLES open/receive/close cycles (default 10,000), then (Linux) 300 sockets holding read-ahead
// arenas, closed: RSS must come back within 10 MB. Prints each runtime's figures; exits 1 if any
// runtime lost, corrupted or reordered a datagram, leaked, or did not run.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const count = process.env.SOAK_COUNT ?? "1000000";
const cycles = process.env.SOAK_CYCLES ?? "10000";
const bin = (n) => join(root, "node_modules", ".bin", n);
const wine = join(root, "scripts", "wine.sh");
const runs = [
  ["Linux Deno", bin("deno"), ["run", "-A", "--v8-flags=--expose-gc", "bench/soak.ts", count, cycles]],
  ["Linux Bun", bin("bun"), ["bench/soak.ts", count, cycles]],
  ["Linux Node", bin("node"), ["--expose-gc", "--disable-warning=ExperimentalWarning", "bench/soak.ts", count, cycles]],
  ["Windows Deno (Wine)", "bash", [
    wine,
    "deno",
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    "bench/soak.ts",
    count,
    cycles,
  ]],
  ["Windows Bun (Wine)", "bash", [wine, "bun", "run", "bench/soak.ts", count, cycles]],
  ["Windows Node (Wine)", "bash", [
    wine,
    "node",
    "--expose-gc",
    "--disable-warning=ExperimentalWarning",
    "bench/soak.ts",
    count,
    cycles,
  ]],
];
let failed = 0;
console.log(`soak: ${count} datagrams and ${cycles} open/receive/close cycles per runtime\n`);
for (const [name, cmd, args] of runs) {
  const started = Date.now();
  const p = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 16 << 20 });
  const line = p.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) {
    failed++;
    console.log(
      `${name.padEnd(20)} did not run (exit ${p.status}): ${
        p.stderr.split("\n").filter((l) => !l.startsWith("Internal error")).slice(-3).join(" ")
      }`,
    );
    continue;
  }
  const r = JSON.parse(line);
  if (r.failures.length) failed++;
  console.log(
    `${name.padEnd(20)} ${r.datagrams} datagrams in ${r.seconds.toFixed(1)} s (${
      Math.round(r.datagrams / r.seconds)
    }/s): ` +
      `lost ${r.lost}, corrupted ${r.corrupted}, out of order ${r.reordered}; handles ${r.handles.before}->${r.handles.after}, ` +
      `RSS ${r.rssMB.before}->${r.rssMB.after} MB, heap ${r.heapMB.before}->${r.heapMB.after} MB; ` +
      `${r.cycles} cycles: handles ${r.cycleHandles.before}->${r.cycleHandles.after}; ` +
      `reuse loop: ${r.reuse.datagrams} in ${
        r.reuse.seconds.toFixed(1)
      } s, lost ${r.reuse.lost}, corrupted ${r.reuse.corrupted}, out of order ${r.reuse.reordered}, heap ${r.reuse.heapMB.before}->${r.reuse.heapMB.after} MB; ` +
      (r.arenas.sockets
        ? `arenas: ${r.arenas.sockets} sockets holding datagrams read ahead, RSS ${r.arenas.rssMB.before}->${r.arenas.rssMB.held}->${r.arenas.rssMB.after} MB after close, ${r.arenas.arenasAfter} arenas left  `
        : "") +
      `${r.failures.length ? "FAIL: " + r.failures.join("; ") : "ok"} (${
        ((Date.now() - started) / 1000).toFixed(0)
      } s)`,
  );
}
process.exit(failed ? 1 : 0);
