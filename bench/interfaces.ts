// What `interfaces()` costs, against C getifaddrs + if_nametoindex (bench/interfaces.c), on a host with
// many interfaces: a network namespace this script makes with COUNT interfaces (veth pairs, each end up, with an
// IPv4 address, a labelled second IPv4 address on every tenth, and its IPv6 link-local address), and
// removes afterwards. Needs root, iproute2 and cc.
//   usage: node bench/interfaces.ts [COUNT...]        (default 50 500; prints one JSON line per runtime)
//          <runtime> bench/interfaces.ts measure [MS]  (inside a namespace: the mean ms of one call)
import { spawnSync } from "node:child_process";
import { unlinkSync, writeFileSync } from "node:fs";
import process from "node:process";
import { interfaceByIndex, interfaces } from "../connection/interfaces.ts";
import { native } from "../ffi/native.ts";

const bin = "node_modules/.bin";
const RUNTIMES: Record<string, string[]> = {
  deno: [`${bin}/deno`, "run", "-A", "--no-check", "--node-modules-dir=manual", "bench/interfaces.ts"],
  bun: [`${bin}/bun`, "bench/interfaces.ts"],
  node: [`${bin}/node`, "--disable-warning=ExperimentalWarning", "bench/interfaces.ts"],
};

/**
 * The median milliseconds of one call of `fn` over about `budget` ms, after a warm-up: the median, because
 * the machine may be shared and a busy neighbour lengthens some calls, not the typical one.
 */
function time(fn: () => unknown, budget: number): number {
  for (let i = 0; i < 20; i++) fn();
  // Calls too short for the clock are timed in batches of about 0.1 ms.
  const t0 = performance.now();
  fn();
  const batch = Math.max(1, Math.min(1000, Math.round(0.1 / Math.max(performance.now() - t0, 0.0001))));
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budget && samples.length < 100_000) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - t) / batch);
  }
  return samples.sort((a, b) => a - b)[samples.length >> 1];
}

function measure(budget: number): void {
  const list = interfaces();
  const last = list[list.length - 1].index;
  const round = (ms: number) => Math.round(ms * 10_000) / 10_000;
  const out = {
    runtime: native.runtime,
    interfaces: list.length,
    ms: round(time(interfaces, budget)),
    // The per-datagram lookup of a server loop: a known index, served from the cached list.
    byIndexUs: round(time(() => interfaceByIndex(last), budget / 4) * 1000),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.error ?? ""}`);
  return r.stdout;
}

function drive(counts: number[]): void {
  const exe = `/tmp/recvmsg_interfaces_c_${process.pid}`;
  run("cc", ["-O2", "-o", exe, "bench/interfaces.c"]);
  try {
    for (const count of counts) {
      const ns = `rmsgbenchif${process.pid % 100000}`;
      spawnSync("ip", ["netns", "del", ns]);
      run("ip", ["netns", "add", ns]);
      const batch = `/tmp/recvmsg_interfaces_${process.pid}.batch`;
      try {
        const lines = ["link set lo up"];
        // veth pairs (dummy interfaces need a module containers often lack): both ends here, up.
        for (let i = 0; i < count; i += 2) lines.push(`link add d${i} type veth peer name d${i + 1}`);
        for (let i = 0; i < count; i++) {
          lines.push(`link set d${i} up`);
          lines.push(`addr add 10.${100 + (i >> 8)}.${i & 255}.1/24 dev d${i}`);
          if (i % 10 === 0) lines.push(`addr add 10.${200 + (i >> 8)}.${i & 255}.1/24 dev d${i} label d${i}:web`);
        }
        writeFileSync(batch, lines.join("\n") + "\n");
        run("ip", ["-n", ns, "-batch", batch]);
        process.stdout.write(run("ip", ["netns", "exec", ns, exe, "300"]));
        process.stdout.write(run("ip", ["netns", "exec", ns, exe, "300", "list-only"]));
        for (const argv of Object.values(RUNTIMES)) {
          process.stdout.write(run("ip", ["netns", "exec", ns, ...argv, "measure", "1500"]));
        }
      } finally {
        try {
          unlinkSync(batch);
        } catch { /* not written */ }
        spawnSync("ip", ["netns", "del", ns]);
      }
    }
  } finally {
    unlinkSync(exe);
  }
}

if (process.argv[2] === "measure") measure(Number(process.argv[3] ?? 1000));
else drive(process.argv.length > 2 ? process.argv.slice(2).map(Number) : [50, 500]);
