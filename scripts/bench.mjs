#!/usr/bin/env node
// `npm run bench`: the drain method. Each receiver binds, blocks while a C sendmmsg flooder queues
// COUNT datagrams of SIZE bytes, then drains them; datagrams/s = received / drain time. Every case
// runs RUNS times in this one run of the command; the table gives medians and ratios to the C recvmsg
// loop measured here too, and goes to bench/RESULTS.md. Needs gcc (and root, to raise the socket
// buffer limits for the duration, which it restores).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const COUNT = Number(process.env.BENCH_COUNT ?? 40000);
const SIZE = 64;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WITH_WINE = process.env.BENCH_WINE !== "0";
const dir = mkdtempSync(join(tmpdir(), "recvmsg-bench-"));
const bin = (n) => join(root, "node_modules", ".bin", n);

const cc = (compiler, src, out, extra = []) => execFileSync(compiler, ["-O2", "-o", out, join(root, "bench", "c", src), ...extra], { stdio: "inherit" });
cc("gcc", "flood.c", join(dir, "flood"));
cc("gcc", "recv_linux.c", join(dir, "recv_linux"));
let mingw = false;
if (WITH_WINE) {
  // The Windows C baseline goes inside the checkout, where the Wine harness can see it.
  cc("x86_64-w64-mingw32-gcc", "recv_win.c", join(root, "bench", "c", "recv_win.exe"), ["-lws2_32"]);
  mingw = true;
}

// Socket receive buffers large enough to hold a whole burst, for every receiver alike.
const sysctl = (k, v) => spawnSync("sysctl", ["-q", "-w", `${k}=${v}`]).status === 0;
const read = (k) => spawnSync("sysctl", ["-n", k], { encoding: "utf8" }).stdout.trim();
const saved = { "net.core.rmem_max": read("net.core.rmem_max"), "net.core.rmem_default": read("net.core.rmem_default") };
const raised = sysctl("net.core.rmem_max", 64 << 20) && sysctl("net.core.rmem_default", 32 << 20);
if (!raised) console.error("bench: could not raise net.core.rmem_max (not root?): bursts may overflow and be cut short");

/**
 * One sample: start the receiver; when it prints its port, flood a warm-up burst; when it prints
 * "ready", flood the timed burst; then read "received seconds".
 */
function sample(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let port = 0;
    let bursts = 0;
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const lines = out.split("\n").slice(0, -1).map((l) => l.trim());
      if (bursts === 0 && lines.length >= 1) port = Number(lines[0]);
      if (bursts === 0 && port > 0) {
        bursts = 1;
        execFileSync(join(dir, "flood"), [String(port), String(COUNT), String(SIZE)]);
      }
      if (bursts === 1 && lines.includes("ready")) {
        bursts = 2;
        execFileSync(join(dir, "flood"), [String(port), String(COUNT), String(SIZE)]);
      }
    });
    child.stderr.on("data", () => {});
    child.on("close", () => {
      clearTimeout(timer);
      const m = out.trim().split("\n").at(-1)?.match(/^(\d+) ([0-9.]+)/);
      resolve(m ? { received: Number(m[1]), seconds: Number(m[2]) } : null);
    });
  });
}

const deno = bin("deno");
const bun = bin("bun");
const wine = ["bash", join(root, "scripts", "wine.sh")];
const rx = "bench/receiver.ts";
const cases = [
  { group: "Linux", name: "C recvmsg loop (IP_PKTINFO)", cmd: join(dir, "recv_linux"), args: ["recvmsg", "300"], baseline: "linux" },
  { group: "Linux", name: "C recvmmsg, 32 per call", cmd: join(dir, "recv_linux"), args: ["recvmmsg", "300"] },
  { group: "Linux", name: "Deno: tryReceiveMsg, caller buffer", cmd: deno, args: ["run", "-A", rx, "try", COUNT, "300"] },
  { group: "Linux", name: "Deno: receiveMsg, caller buffer", cmd: deno, args: ["run", "-A", rx, "async-buffer", COUNT, "300"] },
  { group: "Linux", name: "Deno: receiveMsg, fresh copies", cmd: deno, args: ["run", "-A", rx, "async-copy", COUNT, "300"] },
  { group: "Linux", name: "Deno: Deno.listenDatagram (no packet info)", cmd: deno, args: ["run", "-A", "--unstable-net", rx, "deno-builtin", COUNT, "300"], denoBuiltin: true },
  { group: "Linux", name: "Deno: node:dgram (no packet info)", cmd: deno, args: ["run", "-A", rx, "node-dgram", COUNT, "300"] },
  { group: "Linux", name: "Bun: tryReceiveMsg, caller buffer", cmd: bun, args: [rx, "try", COUNT, "300"] },
  { group: "Linux", name: "Bun: receiveMsg, caller buffer", cmd: bun, args: [rx, "async-buffer", COUNT, "300"] },
  { group: "Linux", name: "Bun: receiveMsg, fresh copies", cmd: bun, args: [rx, "async-copy", COUNT, "300"] },
  { group: "Linux", name: "Bun: Bun.udpSocket (no packet info)", cmd: bun, args: [rx, "bun-builtin", COUNT, "300"] },
  { group: "Linux", name: "Bun: node:dgram (no packet info)", cmd: bun, args: [rx, "node-dgram", COUNT, "300"] },
  { group: "Linux", name: "Node 20: node:dgram (no packet info)", cmd: bin("tsx"), args: [rx, "node-dgram", COUNT, "300"] },
];
if (mingw) {
  cases.push(
    { group: "Windows under Wine", name: "C WSARecvMsg loop (mingw, same Wine)", cmd: wine[0], args: [wine[1], "exe", "bench/c/recv_win.exe", "1500"], baseline: "wine" },
    { group: "Windows under Wine", name: "Deno: tryReceiveMsg, caller buffer", cmd: wine[0], args: [wine[1], "deno", "run", "-A", rx, "try", COUNT, "1500"] },
    { group: "Windows under Wine", name: "Deno: receiveMsg, caller buffer", cmd: wine[0], args: [wine[1], "deno", "run", "-A", rx, "async-buffer", COUNT, "1500"] },
    { group: "Windows under Wine", name: "Bun: tryReceiveMsg, caller buffer", cmd: wine[0], args: [wine[1], "bun", "run", rx, "try", COUNT, "1500"] },
    { group: "Windows under Wine", name: "Bun: receiveMsg, caller buffer", cmd: wine[0], args: [wine[1], "bun", "run", rx, "async-buffer", COUNT, "1500"] },
  );
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const results = [];
try {
  for (const c of cases) {
    const rates = [];
    let short = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await sample(c.cmd, c.args.map(String));
      if (!r || r.seconds <= 0) continue;
      if (r.received < COUNT) short++;
      rates.push(r.received / r.seconds);
    }
    const m = median(rates);
    results.push({ ...c, rate: m, runs: rates.length, short });
    console.log(`${c.group.padEnd(19)} ${c.name.padEnd(46)} ${Number.isNaN(m) ? "failed" : `${Math.round(m / 1000)}k/s`.padStart(9)}  (${rates.length}/${RUNS} runs${short ? `, ${short} short` : ""})`);
  }
} finally {
  for (const [k, v] of Object.entries(saved)) if (v) sysctl(k, v);
}

const base = { linux: results.find((r) => r.baseline === "linux")?.rate, wine: results.find((r) => r.baseline === "wine")?.rate };
const ver = (cmd, args) => spawnSync(cmd, args, { encoding: "utf8" }).stdout.split("\n")[0].trim();
const lines = [
  "# Benchmark results",
  "",
  `Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ` +
  `${ver("uname", ["-sr"])}; ${ver(deno, ["--version"])}; Bun ${ver(bun, ["--version"])}; Node ${process.version}` +
  (mingw ? "; Windows Deno 2.9.5 and Bun 1.4.5 under Wine 10" : "") + ".",
  "",
  `Drain method: ${COUNT} datagrams of ${SIZE} bytes are queued by a C \`sendmmsg\` flooder while the receiver's thread is blocked,`,
  "then drained and timed (the receiver's own cost), after an untimed warm-up burst of the same size drained the same way. Median of " + RUNS + " runs per case, every case in this one run; the ratio is to",
  "the C `recvmsg` loop of the same group measured in this run. The built-in receivers give no packet info; this module and the C loops do.",
  "",
  "| group | receiver | datagrams/s | × C recvmsg loop |",
  "| --- | --- | ---: | ---: |",
  ...results.map((r) => {
    const b = r.group === "Linux" ? base.linux : base.wine;
    return `| ${r.group} | ${r.name} | ${Number.isNaN(r.rate) ? "failed" : Math.round(r.rate).toLocaleString("en-US")} | ${Number.isNaN(r.rate) || !b ? "-" : (r.rate / b).toFixed(2)} |`;
  }),
  "",
];
writeFileSync(join(root, "bench", "RESULTS.md"), lines.join("\n"));
console.log(`\nwrote bench/RESULTS.md`);
