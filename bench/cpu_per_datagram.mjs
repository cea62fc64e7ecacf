// CPU time (user + system, every thread; not wall time) per datagram of bench/receiver.ts drain cases and
// of the C loops (bench/c/recv_linux.c), for a busy machine where wall times are noise: each receiver
// reports the CPU time of its timed drain. Cases are interleaved (odd rounds backwards), ROUNDS times;
// prints each case's median, min and max in ns per datagram and its median ratio to the first case's
// time in the same round (the C loop, when it is first).
// BY=wall takes the wall time of the timed drain instead (a quiet machine; what npm run bench measures).
//   usage: node bench/cpu_per_datagram.mjs FLOOD_BINARY ROUNDS COUNT 'label|command args' ...
// e.g. node bench/cpu_per_datagram.mjs /tmp/flood 5 40000 'C recvmmsg|/tmp/recv_linux recvmmsg drain 300' \
//        'Deno messages()|node_modules/.bin/deno run -A --no-check bench/receiver.ts drain messages-copy 40000 300'
import { execFileSync, spawn } from "node:child_process";
import process from "node:process";

const [flood, rounds, count, ...cases] = process.argv.slice(2);
/** Field of the receiver's last line to take: 2 the CPU seconds, 1 the wall seconds. */
const FIELD = process.env.BY === "wall" ? 1 : 2;

/** One run: CPU seconds of the timed drain, or null when it did not receive the whole burst. */
function run(command) {
  return new Promise((resolve) => {
    const [cmd, ...args] = command.trim().split(/\s+/);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "ignore"] });
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
    child.on("close", () => {
      const f = out.trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
      resolve(f[0] === Number(count) && f[FIELD] > 0 ? (f[FIELD] * 1e9) / f[0] : null);
    });
  });
}

const labels = cases.map((c) => c.split("|")[0]);
const samples = labels.map(() => []);
const ratios = labels.map(() => []);
for (let r = 0; r < Number(rounds); r++) {
  const got = new Array(cases.length).fill(null);
  const order = cases.map((_, i) => i);
  for (const i of r % 2 ? order.reverse() : order) got[i] = await run(cases[i].split("|")[1]);
  got.forEach((ns, i) => {
    if (ns === null) return;
    samples[i].push(ns);
    if (got[0] !== null) ratios[i].push(got[0] / ns);
  });
}
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
for (let i = 0; i < cases.length; i++) {
  const s = samples[i];
  console.log(
    `${labels[i].padEnd(34)} ${FIELD === 2 ? "CPU" : "wall"} ns/datagram ${med(s).toFixed(0).padStart(5)} (${
      Math.min(...s).toFixed(0)
    }–${Math.max(...s).toFixed(0)})  × first ${med(ratios[i]).toFixed(2)}  n=${s.length}`,
  );
}
