// Drives one bench/receiver.ts drain run for a profiler: starts COMMAND..., queues COUNT datagrams of
// 64 bytes from the C flooder (bench/c/flood.c, built by scripts/bench.mjs or by hand) each time the
// receiver asks ("port", then each "ready"), and prints the receiver's last line.
//   usage: node bench/profile_drain.mjs FLOOD_BINARY COUNT COMMAND...
// e.g. node bench/profile_drain.mjs /tmp/flood 30000 node_modules/.bin/deno run -A --cpu-prof \
//        --cpu-prof-dir=/tmp/prof bench/receiver.ts drain messages-copy 30000 300
import { execFileSync, spawn } from "node:child_process";
import process from "node:process";

const [flood, count, cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
let out = "";
let bursts = 0;
let port = 0;
child.stdout.on("data", (d) => {
  out += d;
  const lines = out.split("\n").slice(0, -1).map((l) => l.trim());
  if (port === 0 && Number(lines[0]) > 0) port = Number(lines[0]);
  const wanted = port === 0 ? 0 : 1 + lines.filter((l) => l === "ready").length;
  while (bursts < wanted) {
    bursts++;
    execFileSync(flood, [String(port), count, "64"]);
  }
});
child.on("close", (code) => {
  console.log(out.trim().split("\n").at(-1), code);
});
