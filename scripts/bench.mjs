#!/usr/bin/env node
// `npm run bench`: every receiver, in one run, by two methods, with 64-byte datagrams from a C
// sendmmsg flooder on loopback:
//   drain: the receiver blocks while COUNT datagrams are queued, then drains them; datagrams/s =
//          received / drain time (its own cost per datagram). Bursts are drained untimed first (warm-up:
//          DRAIN_WARM, ten on Linux, where the JIT needs them to reach the steady state a server runs in).
//   flood: the flooder sends for the whole run while the receiver receives; datagrams/s = received in
//          a WINDOW after a warm-up (what it keeps up with while a sender competes for the 2 cores).
// Each case runs RUNS times, in rounds: every round takes one sample of every case in turn (round-robin; odd
// rounds in reverse order), so that a machine whose load drifts during the run (other work, thermal limits)
// weighs on every case alike instead of on whichever cases ran while it was busy. The table gives each case's
// min, median and max, and ratios to the C loops of the same group and method: the median over the rounds of
// the case's sample divided by the reference's sample of the same round. It goes to bench/RESULTS.md, which
// names the machine (CPU, cores, kernel, load) and the runtime versions first. Needs gcc (and x86_64-w64-mingw32-gcc and root for the
// Windows part; root also raises the socket buffer limits for the duration, then restores them).
//   echo:  a C client keeps 256 requests in flight to an echo server and counts answers/s (bench/echo_server.ts,
//          bench/c/echo_*.c); the table gives ratios to the C recvmsg+sendmsg and recvmmsg+sendmmsg echoes.
//   workers: the same echo past one core: N workers (examples/workers_echo.ts: Deno and Bun Workers, Node
//          worker_threads), one reusePort socket each, against a C echo with N SO_REUSEPORT threads
//          (bench/c/echo_threads_linux.c), for N in BENCH_WORKERS; the client (bench/c/echo_client_flows.c)
//          sends from BENCH_FLOWS ports (the kernel spreads flows, not datagrams) on BENCH_CLIENT_THREADS threads.
// It prints progress as it goes, and writes bench/RESULTS.md and the chart bench/RESULTS.svg.
// BENCH_RUNS=n, BENCH_COUNT=n, BENCH_WINE=0 (Linux only), BENCH_ECHO=0, BENCH_METHOD=drain|flood,
// BENCH_ONLY=text (only cases whose "group: name" contains it; baselines always run; RESULTS.md kept),
// BENCH_WORKERS=1,2,4 (worker counts; 0: none; default 1, 2, 4, … up to half the cores, at least 1 and 2),
// BENCH_FLOWS=n (client ports, default 4 per worker of the largest count, at least 16),
// BENCH_CLIENT_THREADS=n (default: half the server's workers, at least 1),
// BENCH_SMOKE=1 (proves the script works, not a measurement: one short round of every method, Linux only,
// small bursts and short windows; prints the tables and keeps RESULTS.md).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { workersCases as makeWorkersCases, workersClient, workersSection } from "../bench/workers_cases.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SMOKE = process.env.BENCH_SMOKE === "1";
const COUNT = Number(process.env.BENCH_COUNT ?? (SMOKE ? 2000 : 40000));
const SIZE = 64;
const RUNS = Number(process.env.BENCH_RUNS ?? (SMOKE ? 1 : 5));
const WITH_WINE = process.env.BENCH_WINE !== "0" && !SMOKE;
const METHODS = process.env.BENCH_METHOD ? [process.env.BENCH_METHOD] : ["drain", "flood"];
const ONLY = process.env.BENCH_ONLY;
const WITH_ECHO = process.env.BENCH_ECHO !== "0";
/** Flood timing per group: warm-up and counting window, in ms. Wine's calls are ~100× slower. */
const FLOOD = SMOKE
  ? { Linux: { warm: 50, window: 100 }, Wine: { warm: 50, window: 100 } }
  : { Linux: { warm: 300, window: 1000 }, Wine: { warm: 500, window: 2000 } };
/**
 * Untimed drain bursts before the timed one, per group (each receiver reads BENCH_WARM_ROUNDS). With three,
 * the receives' JavaScript had not reached its steady state on Linux: ten gave messages() 6–38% more
 * (Deno, Node; Bun within noise) and Node's floor about 10% more; the C loop did not change. Wine's receives are 100× slower
 * and three bursts are 120,000 datagrams there.
 */
const DRAIN_WARM = { Linux: SMOKE ? 1 : 10, Wine: SMOKE ? 1 : 3 };
const dir = mkdtempSync(join(tmpdir(), "recvmsg-bench-"));
const bin = (n) => join(root, "node_modules", ".bin", n);

const cc = (compiler, src, out, extra = []) =>
  execFileSync(compiler, ["-O2", "-o", out, join(root, "bench", "c", src), ...extra], { stdio: "inherit" });
cc("gcc", "flood.c", join(dir, "flood"));
cc("gcc", "recv_linux.c", join(dir, "recv_linux"));
cc("gcc", "echo_linux.c", join(dir, "echo_linux"));
cc("gcc", "echo_client.c", join(dir, "echo_client"));
cc("gcc", "echo_threads_linux.c", join(dir, "echo_threads_linux"), ["-lpthread"]);
cc("gcc", "echo_client_flows.c", join(dir, "echo_client_flows"), ["-lpthread"]);
if (WITH_WINE) {
  // The Windows C baseline goes inside the checkout, where the Wine harness can see it.
  cc("x86_64-w64-mingw32-gcc", "recv_win.c", join(root, "bench", "c", "recv_win.exe"), ["-lws2_32"]);
}

// Socket receive buffers large enough to hold a whole burst, for every receiver alike.
const sysctl = (k, v) => spawnSync("sysctl", ["-q", "-w", `${k}=${v}`]).status === 0;
const read = (k) => spawnSync("sysctl", ["-n", k], { encoding: "utf8" }).stdout.trim();
const saved = {
  "net.core.rmem_max": read("net.core.rmem_max"),
  "net.core.rmem_default": read("net.core.rmem_default"),
  "net.core.skb_defer_max": read("net.core.skb_defer_max"),
};
const raised = sysctl("net.core.rmem_max", 64 << 20) && sysctl("net.core.rmem_default", 32 << 20);
if (!raised) {
  console.error("bench: could not raise net.core.rmem_max (not root?): bursts may overflow and be cut short");
}
// A datagram's buffer is allocated on the sender's CPU; a receiver on the other CPU hands each one back
// there to be freed (skb_attempt_defer_free), with an inter-processor interrupt every 32 — in a VM a trap
// into the hypervisor, about 200 ns per datagram. Which CPU each process landed on then decided a drain's
// result more than the receiver did: the C recvmmsg loop ranged 1,388k–2,280k datagrams/s over five rounds.
// Freed where they are received, the same loop ranged 2,205k–2,437k. Restored at the end, as the buffers are.
const undeferred = saved["net.core.skb_defer_max"] !== "" && sysctl("net.core.skb_defer_max", 0);
const restore = () => {
  for (const [k, v] of Object.entries(saved)) if (v) sysctl(k, v);
};
// Interrupted (Ctrl-C), the machine gets its settings back all the same.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    restore();
    process.exit(130);
  });
}

const flood = (port, args) => spawn(join(dir, "flood"), [String(port), ...args.map(String)], { stdio: "ignore" });

/**
 * One sample. Drain: when the receiver prints its port, queue a warm-up burst; when it prints "ready",
 * queue the timed burst. Flood: when it prints its port, start a flooder that outlasts the window.
 * Then read "received seconds".
 */
function sample(method, timing, cmd, args, warmRounds) {
  return new Promise((resolve) => {
    const env = { ...process.env, NO_COLOR: "1", BENCH_WARM_ROUNDS: String(warmRounds) };
    const child = spawn(cmd, args, { cwd: root, env });
    let out = "";
    let stage = 0;
    let readies = 0;
    let sender;
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.stdout.on("data", (d) => {
      out += d;
      const lines = out.split("\n").slice(0, -1).map((l) => l.trim());
      const port = Number(lines[0]);
      if (stage === 0 && port > 0) {
        stage = 1;
        if (method === "flood") sender = flood(port, [0, SIZE, (timing.warm + timing.window) / 1000 + 2]);
        else execFileSync(join(dir, "flood"), [String(port), String(COUNT), String(SIZE)]);
      }
      // One burst after each "ready": the receiver's warm-up rounds, then the timed one.
      while (method === "drain" && stage === 1 && lines.filter((l) => l === "ready").length > readies) {
        readies++;
        execFileSync(join(dir, "flood"), [String(port), String(COUNT), String(SIZE)]);
      }
    });
    child.stderr.on("data", () => {});
    child.on("close", () => {
      clearTimeout(timer);
      sender?.kill("SIGKILL");
      const m = out.trim().split("\n").at(-1)?.match(/^(\d+) ([0-9.]+)/);
      resolve(m ? { received: Number(m[1]), seconds: Number(m[2]) } : null);
    });
  });
}

const deno = bin("deno");
const bun = bin("bun");
const wine = (...args) => ["bash", [join(root, "scripts", "wine.sh"), ...args]];
const rx = "bench/receiver.ts";
/** Arguments of bench/receiver.ts (and of the C programs) for a method. */
const rxArgs = (method, mode, timing, wait) =>
  method === "drain" ? [method, mode, COUNT, wait] : [method, mode, timing.warm, timing.window];
/** Arguments of the C receivers for a method. */
const cArgs = (method, timing, wait) => method === "drain" ? ["drain", wait] : ["flood", timing.warm, timing.window];
const cases = [
  {
    group: "Linux",
    name: "C recvmsg loop (IP_PKTINFO)",
    run: (m, t) => [join(dir, "recv_linux"), ["recvmsg", ...cArgs(m, t, 300)]],
    baseline: true,
  },
  {
    group: "Linux",
    name: "C recvmmsg, 32 per call",
    run: (m, t) => [join(dir, "recv_linux"), ["recvmmsg", ...cArgs(m, t, 300)]],
    limit: true,
  },
  ...["Deno", "Bun", "Node"].flatMap((rt) => {
    const js = (mode, extra = []) => (m, t) =>
      rt === "Deno"
        ? [deno, ["run", "-A", ...extra, rx, ...rxArgs(m, mode, t, 300)]]
        : rt === "Node"
        ? [bin("node"), ["--disable-warning=ExperimentalWarning", rx, ...rxArgs(m, mode, t, 300)]]
        : [bun, [rx, ...rxArgs(m, mode, t, 300)]];
    // The floor under every receive of this runtime: the C recvmmsg loop through its own FFI, none of this
    // module's JavaScript (bench/ffi_floor.ts; drain only).
    // With "await", the same loop hands each datagram on through an awaited promise: the floor under the
    // receives that are awaited one by one (receiveMsg, messages()); with "await-fair" the event loop also
    // turns (setImmediate) once 32 datagrams in a row took 2 ms or more, as connection/receive_queue.ts asks
    // of those receives, so that timers run under a flood: what a turn of this runtime's loop costs is in it.
    const floor = (extra = []) => () =>
      rt === "Deno"
        ? [deno, ["run", "-A", "bench/ffi_floor.ts", COUNT, 300, ...extra]]
        : rt === "Node"
        ? [bin("node"), ["--disable-warning=ExperimentalWarning", "bench/ffi_floor.ts", COUNT, 300, ...extra]]
        : [bun, ["bench/ffi_floor.ts", COUNT, 300, ...extra]];
    return [
      {
        group: "Linux",
        name: `${rt}: the C recvmmsg loop through ${rt}'s FFI, none of this module (floor)`,
        run: floor(),
        methods: ["drain"],
        ffiFloor: "sync",
      },
      {
        group: "Linux",
        name: `${rt}: the same loop, each datagram through an awaited promise (promise floor)`,
        run: floor(["await"]),
        methods: ["drain"],
        ffiFloor: "await",
      },
      {
        group: "Linux",
        name: `${rt}: the same, the event loop turning every 2 ms as this module's fairness asks (fair promise floor)`,
        run: floor(["await-fair"]),
        methods: ["drain"],
        ffiFloor: "fair",
      },
      { group: "Linux", name: `${rt}: tryReceiveMsg, caller buffer`, run: js("try") },
      { group: "Linux", name: `${rt}: tryReceiveMsg, caller buffer, reused message`, run: js("try-reuse") },
      { group: "Linux", name: `${rt}: tryReceiveMsgs(64) batch, caller buffer (recvmmsg)`, run: js("batch") },
      { group: "Linux", name: `${rt}: receiveMsg, caller buffer`, run: js("async-buffer"), awaited: true },
      { group: "Linux", name: `${rt}: receiveMsg, fresh copies`, run: js("async-copy"), awaited: true },
      { group: "Linux", name: `${rt}: messages(), fresh copies`, run: js("messages-copy"), awaited: true },
      { group: "Linux", name: `${rt}: messages({ buffer })`, run: js("messages-buffer"), awaited: true },
      ...(rt === "Deno"
        ? [{
          group: "Linux",
          name: "Deno: Deno.listenDatagram (no packet info)",
          run: js("deno-builtin", ["--unstable-net"]),
        }]
        : rt === "Bun"
        ? [{ group: "Linux", name: "Bun: Bun.udpSocket (no packet info)", run: js("bun-builtin") }]
        : []),
      {
        group: "Linux",
        name: `${rt}: node:dgram (no packet info)`,
        run: js("node-dgram"),
        // Deno's node:dgram takes ~8 s a burst: ten would outlast the sample's 90 s limit.
        ...(rt === "Deno" ? { warmRounds: 3 } : {}),
      },
    ];
  }),
];
if (WITH_WINE) {
  cases.push({
    group: "Windows under Wine",
    name: "C WSARecvMsg loop (mingw, same Wine)",
    run: (m, t) => wine("exe", "bench/c/recv_win.exe", ...cArgs(m, t, 1500)),
    baseline: true,
  });
  for (const rt of ["Deno", "Bun", "Node"]) {
    const js = (mode) => (m, t) =>
      rt === "Deno"
        ? wine("deno", "run", "-A", rx, ...rxArgs(m, mode, t, 1500))
        : rt === "Node"
        ? wine("node", "--disable-warning=ExperimentalWarning", rx, ...rxArgs(m, mode, t, 1500))
        : wine("bun", "run", rx, ...rxArgs(m, mode, t, 1500));
    cases.push(
      { group: "Windows under Wine", name: `${rt}: tryReceiveMsg, caller buffer`, run: js("try") },
      { group: "Windows under Wine", name: `${rt}: tryReceiveMsgs(64) batch, caller buffer`, run: js("batch") },
      { group: "Windows under Wine", name: `${rt}: receiveMsg, caller buffer`, run: js("async-buffer") },
    );
  }
}

/** The echo method: a server answers a C client that keeps 256 requests in flight (bench/c/echo_client.c). */
const ECHO = { warm: SMOKE ? 50 : 1000, window: SMOKE ? 100 : 1000, outstanding: 256 };
const echoServer = "bench/echo_server.ts";
const echoCases = [
  {
    group: "Linux",
    name: "C echo, recvmsg + sendmsg (IP_PKTINFO source)",
    run: () => [join(dir, "echo_linux"), ["recvmsg"]],
    baseline: true,
  },
  {
    group: "Linux",
    name: "C echo, recvmmsg + sendmmsg, 32 per call",
    run: () => [join(dir, "echo_linux"), ["recvmmsg"]],
    limit: true,
  },
  {
    group: "Linux",
    name: "C echo, recvmmsg (32 per call) + a sendmsg per answer",
    run: () => [join(dir, "echo_linux"), ["recvmmsg-sendmsg"]],
    floor: true,
  },
  ...["Deno", "Bun", "Node"].flatMap((rt) => {
    const js = (mode) => () =>
      rt === "Deno"
        ? [deno, ["run", "-A", ...(mode === "deno-builtin" ? ["--unstable-net"] : []), echoServer, mode]]
        : rt === "Node"
        ? [bin("node"), ["--disable-warning=ExperimentalWarning", echoServer, mode]]
        : [bun, [echoServer, mode]];
    return [
      { group: "Linux", name: `${rt}: messages() + await sendMsg (idiomatic)`, run: js("idiomatic") },
      { group: "Linux", name: `${rt}: the same loop, batchSends: true`, run: js("idiomatic-held") },
      { group: "Linux", name: `${rt}: receiveMsgs(64) + trySendMsg each`, run: js("batch") },
      { group: "Linux", name: `${rt}: receiveMsgs(64) + sendMsgs (sendmmsg)`, run: js("sendmsgs") },
      rt === "Deno"
        ? { group: "Linux", name: "Deno: Deno.listenDatagram (no source selection)", run: js("deno-builtin") }
        : rt === "Bun"
        ? { group: "Linux", name: "Bun: Bun.udpSocket (no source selection)", run: js("bun-builtin") }
        : { group: "Linux", name: "Node: node:dgram (no source selection)", run: js("node-dgram") },
    ];
  }),
];

const workersCases = makeWorkersCases({ dir, deno, bun, node: bin("node") });

/** One echo sample: start the server, run the client against its port, stop the server. */
function echoSample(
  cmd,
  args,
  client = (port) => [join(dir, "echo_client"), [port, SIZE, ECHO.warm, ECHO.window, ECHO.outstanding]],
) {
  return new Promise((resolve) => {
    const server = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      server.kill("SIGKILL");
      resolve(r);
    };
    const timer = setTimeout(() => finish(null), 60_000);
    server.stderr.on("data", () => {});
    server.on("close", () => finish(null));
    server.stdout.on("data", (d) => {
      out += d;
      const port = Number(out.split("\n")[0]);
      if (!(port > 0) || !out.includes("\n")) return;
      out = "\0"; // read the port once
      const [clientCmd, clientArgs] = client(port);
      const requester = spawn(clientCmd, clientArgs.map(String));
      let text = "";
      requester.stdout.on("data", (c) => text += c);
      requester.on("close", () => {
        const m = text.match(/^(\d+) ([0-9.]+)/);
        finish(m ? { received: Number(m[1]), seconds: Number(m[2]) } : null);
      });
    });
  });
}

const selected = cases.filter((c) =>
  !ONLY || c.baseline || c.limit || c.ffiFloor || `${c.group}: ${c.name}`.includes(ONLY)
);
/**
 * The floor of a receiver's runtime (its name starts "Deno:", "Bun:" or "Node:"), Linux only: the fair
 * promise floor for a receive awaited per datagram (it turns the event loop as those receives do), else the FFI floor.
 */
const ffiFloorOf = (c) =>
  selected.find((f) =>
    f.ffiFloor === (c.awaited ? "fair" : "sync") && f.group === c.group &&
    f.name.split(":")[0] === c.name.split(":")[0]
  );
const selectedEcho = WITH_ECHO
  ? echoCases.filter((c) => !ONLY || c.baseline || c.limit || c.floor || `echo ${c.group}: ${c.name}`.includes(ONLY))
  : [];
const selectedWorkers = workersCases.filter((c) =>
  !ONLY || c.baseline || `workers ${c.group}: ${c.name}`.includes(ONLY)
);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const keyOf = (method, c) => `${method} ${c.group}: ${c.name}`;
const plan = [
  ...METHODS.flatMap((method) =>
    selected.filter((c) => (c.methods ?? METHODS).includes(method)).map((c) => ({ method, c }))
  ),
  ...selectedEcho.map((c) => ({ method: "echo", c })),
  ...selectedWorkers.map((c) => ({ method: "workers", c })),
];
/** Per case, its rate (datagrams or answers per second) in each round; NaN where the sample failed. */
const samples = new Map(plan.map(({ method, c }) => [keyOf(method, c), { rates: Array(RUNS).fill(NaN), short: 0 }]));
/** The machine's load average as the run starts (and ends, below): a busy machine shows here. */
const loadAtStart = loadavg();
const began = performance.now();
try {
  let k = 0;
  for (let round = 0; round < RUNS; round++) {
    // Round-robin: one sample of every case per round; odd rounds run backwards, so that no case always
    // follows the same neighbour (a receiver's exit still settling while the next one starts).
    const order = round % 2 === 0 ? plan : [...plan].reverse();
    for (const { method, c } of order) {
      const elapsed = (performance.now() - began) / 1000;
      const left = RUNS * plan.length - k;
      const eta = k === 0 ? "" : `, about ${Math.ceil((elapsed / k) * left / 60)} min left`;
      process.stdout.write(
        `[${String(++k).padStart(4)}/${RUNS * plan.length}  round ${round + 1}/${RUNS}  ${
          Math.round(elapsed)
        } s${eta}]  `,
      );
      const timing = c.group === "Linux" ? FLOOD.Linux : FLOOD.Wine;
      const [cmd, args] = c.run(method, timing);
      const r = method === "echo"
        ? await echoSample(cmd, args.map(String))
        : method === "workers"
        ? await echoSample(cmd, args.map(String), workersClient(dir, ECHO, SIZE, c))
        : await sample(
          method,
          timing,
          cmd,
          args.map(String),
          c.warmRounds ?? DRAIN_WARM[c.group === "Linux" ? "Linux" : "Wine"],
        );
      const entry = samples.get(keyOf(method, c));
      if (r && r.seconds > 0) {
        if (method === "drain" && r.received < COUNT) entry.short++;
        entry.rates[round] = r.received / r.seconds;
      }
      const v = entry.rates[round];
      console.log(
        `${method.padEnd(5)} ${c.group.padEnd(19)} ${c.name.padEnd(58)} ${
          (Number.isNaN(v) ? "failed" : `${Math.round(v / 1000)}k/s`).padStart(9)
        }`,
      );
    }
  }
} finally {
  restore();
}
const loadAtEnd = loadavg();

/** A case's min, median and max over the rounds that gave a sample, and how many did. */
function stats(method, c) {
  const e = samples.get(keyOf(method, c));
  if (!e) return undefined;
  const ok = e.rates.filter((r) => !Number.isNaN(r));
  return { min: Math.min(...ok), median: median(ok), max: Math.max(...ok), n: ok.length, short: e.short };
}
console.log("\ncase (method group: name)  min / median / max per second, rounds that gave a sample");
for (const { method, c } of plan) {
  const s = stats(method, c);
  const k = (x) => `${Math.round(x / 1000)}k`;
  console.log(
    `${keyOf(method, c).padEnd(90)} ${s.n ? `${k(s.min)} / ${k(s.median)} / ${k(s.max)}` : "failed"}  (${s.n}/${RUNS}${
      s.short ? `, ${s.short} short` : ""
    })`,
  );
}

const ver = (cmd, args) => (spawnSync(cmd, args, { encoding: "utf8" }).stdout ?? "").split("\n")[0].trim();
const list = (method) => method === "echo" ? selectedEcho : selected;
/** The reference case (kind "baseline": one call per datagram; "limit": the batching C loop) of a group. */
const reference = (method, group, kind) => list(method).find((c) => c[kind] && c.group === group);
/** A case's median rate, or undefined when it did not run. */
const at = (method, c) => stats(method, c)?.median;
const fmt = (r) => r === undefined ? "-" : Number.isNaN(r) ? "failed" : Math.round(r).toLocaleString("en-US");
/** The spread of a case's samples, as "min–max" in thousands per second. */
const range = (method, c) => {
  const s = stats(method, c);
  return !s ? "-" : s.n === 0 ? "failed" : `${Math.round(s.min / 1000)}k–${Math.round(s.max / 1000)}k`;
};
/**
 * A case against a reference of the same run: the median, over the rounds where both gave a sample, of
 * the case's rate over the reference's rate in that round (both measured minutes apart at most).
 */
const ratioOf = (method, c, ref) => {
  const a = samples.get(keyOf(method, c))?.rates;
  const b = ref && samples.get(keyOf(method, ref))?.rates;
  if (!a || !b) return NaN;
  return median(a.map((x, i) => x / b[i]).filter((r) => Number.isFinite(r)));
};
const ratio = (method, c, ref) => {
  const r = ratioOf(method, c, ref);
  return Number.isNaN(r) ? "-" : r.toFixed(2);
};
// The Windows builds' versions are the ones scripts/wine.sh installs.
const wineSh = readFileSync(join(root, "scripts", "wine.sh"), "utf8");
const winVersion = (name) => wineSh.match(new RegExp(`^${name}=(\\S+)`, "m"))?.[1] ?? "?";
const cpuModel = cpus()[0]?.model?.trim() || "unknown CPU";
const versions = {
  deno: ver(deno, ["--version"]).replace(/^deno /, "").replace(/ .*/, ""),
  bun: ver(bun, ["--version"]),
  node: ver(bin("node"), ["--version"]).replace(/^v/, ""),
  gcc: ver("gcc", ["--version"]),
};
const windowsVersions = `Deno ${winVersion("DENO_WIN_VERSION")}, Bun ${winVersion("BUN_WIN_VERSION")} and Node ${
  winVersion("NODE_WIN_VERSION")
} (Windows builds) under Wine 10`;
/** One line for the chart. */
const machine =
  `${cpus().length} × ${cpuModel}, ${ver("uname", ["-sr"])}; Deno ${versions.deno}, Bun ${versions.bun}, ` +
  `Node ${versions.node}` + (WITH_WINE ? `; ${windowsVersions}` : "");
const load = (l) => l.map((x) => x.toFixed(2)).join(", ");
const lines = [
  "# Benchmark results",
  "",
  `Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Chart: [RESULTS.svg](RESULTS.svg).`,
  "Every ratio is to a C loop measured in this same run; re-run rather than compare figures across machines.",
  "",
  "## Machine",
  "",
  `- CPU: ${cpuModel}, ${cpus().length} logical cores; ${(totalmem() / 2 ** 30).toFixed(1)} GiB of memory`,
  `- Kernel: ${ver("uname", ["-srm"])}`,
  `- Load average (1, 5, 15 min): ${load(loadAtStart)} as the run started, ${load(loadAtEnd)} as it ended`,
  `- Runtimes: Deno ${versions.deno}, Bun ${versions.bun}, Node ${versions.node}` +
  (WITH_WINE ? `; ${windowsVersions}` : ""),
  `- C baselines: ${versions.gcc || "gcc"}, -O2` + (WITH_WINE ? "; x86_64-w64-mingw32-gcc for the Windows loop" : ""),
  `- Kernel settings for the run: net.core.rmem_max ${raised ? "64 MiB" : "not raised (not root)"}, ` +
  `net.core.skb_defer_max ${
    undeferred ? "0 (buffers freed on the receiving CPU: see scripts/bench.mjs)" : "left as it was"
  }`,
  `- ${RUNS} round${
    RUNS === 1 ? "" : "s"
  }; each round takes one sample of every case in turn (odd rounds in reverse order)`,
  ...(Math.max(loadAtStart[0], loadAtEnd[0]) > cpus().length / 2
    ? ["- **The machine was busy** (load average above half its cores): wide min–max ranges below say how much"]
    : []),
  "",
  "## Receive",
  "",
  `Datagrams of ${SIZE} bytes over loopback from a C \`sendmmsg\` flooder. **Drain**: ${COUNT} datagrams are queued while the receiver's`,
  `thread is blocked, then drained and timed: the receiver's own cost per datagram (after ${DRAIN_WARM.Linux} untimed warm-up bursts drained the same way; Wine, and Deno's node:dgram at ~5,000 a second: ${DRAIN_WARM.Wine}).`,
  `**Flood**: the flooder sends throughout while the receiver receives; counted over ${
    FLOOD.Linux.window / 1000
  } s (Wine: ${FLOOD.Wine.window / 1000} s) after a`,
  `${FLOOD.Linux.warm} ms (Wine: ${FLOOD.Wine.warm} ms) warm-up, with sender and receiver sharing the machine's ${cpus().length} cores.`,
  `Median of ${RUNS} rounds per case, with the lowest and highest sample (min–max, thousands per second).`,
  "Ratios are to the C `recvmsg` loop (one call per datagram) and to the C `recvmmsg` loop (32 per call: the kernel's limit) of the",
  "same group and method (the Windows group's: a mingw `WSARecvMsg` loop under the same Wine), each the median over the rounds of",
  "the case's sample over the C loop's sample of the same round. The built-in receivers give no packet",
  "info; this module and the C loops read IP_PKTINFO. Each runtime's **floor** is the C `recvmmsg` loop written with that",
  "runtime's own FFI and nothing of this module (bench/ffi_floor.ts: it reads each datagram's length, no message, no copy):",
  "what it costs above the C loop is the runtime's FFI and event loop. Its **promise floor** is the same loop handing each",
  "datagram on through an awaited promise (an iterator result per datagram, as `for await` takes it); its **fair promise",
  "floor** also turns the event loop (`setImmediate`) once 32 datagrams in a row took 2 ms or more, as this module's",
  "awaited receives do so that timers run under a flood: the floor under `receiveMsg` and `messages()`, with what a turn",
  'of that runtime\'s loop costs. The column "× floor" is each row against its floor (the fair promise floor for awaited',
  "receives, the FFI floor for the rest): what is left for this module's JavaScript to win back.",
  "",
  "| group | receiver | drain datagrams/s (median) | drain min–max | drain × C recvmsg | drain × C recvmmsg | drain × floor | flood datagrams/s (median) | flood min–max | flood × C recvmsg |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...selected.map((c) =>
    `| ${c.group} | ${c.name} | ${fmt(at("drain", c))} | ${range("drain", c)} | ${
      ratio("drain", c, reference("drain", c.group, "baseline"))
    } | ${ratio("drain", c, reference("drain", c.group, "limit"))} | ${
      c.ffiFloor === "sync" ? "1.00" : ratio("drain", c, ffiFloorOf(c))
    } | ${fmt(at("flood", c))} | ${range("flood", c)} | ${ratio("flood", c, reference("flood", c.group, "baseline"))} |`
  ),
  "",
];
if (selectedEcho.length > 0) {
  lines.push(
    "## Echo",
    "",
    `A C client (bench/c/echo_client.c) keeps ${ECHO.outstanding} requests of ${SIZE} bytes in flight to the server over loopback and counts answers`,
    `for ${
      ECHO.window / 1000
    } s after a ${ECHO.warm} ms warm-up; client and server share the ${cpus().length} cores. This module's servers and the C ones answer each`,
    "request from the address it arrived at (IP_PKTINFO in, IP_PKTINFO out); the built-ins cannot choose. Median of " +
      RUNS + " rounds, min–max in thousands per second; ratios as for receive, round by round.",
    "An awaited `sendMsg` settles when its datagram reached the system, so a loop that awaits each answer makes a",
    "system call per answer: the C loop that receives 32 per call and sends each answer by its own `sendmsg` is the",
    "most such a loop can do (last column). With `batchSends: true` the answers are held and go together (sendmmsg),",
    "like the C `recvmmsg` + `sendmmsg` loop; a refused answer is then reported by the next send.",
    "",
    "| server | answers/s (median) | min–max | × C recvmsg + sendmsg | × C recvmmsg + sendmmsg | × C recvmmsg + sendmsg each |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...selectedEcho.map((c) =>
      `| ${c.name} | ${fmt(at("echo", c))} | ${range("echo", c)} | ${
        ratio("echo", c, reference("echo", c.group, "baseline"))
      } | ${ratio("echo", c, reference("echo", c.group, "limit"))} | ${
        ratio("echo", c, reference("echo", c.group, "floor"))
      } |`
    ),
    "",
  );
}
if (selectedWorkers.length > 0) {
  lines.push(...workersSection({ cases: selectedWorkers, echo: ECHO, size: SIZE, runs: RUNS, at, range, ratio, fmt }));
}
if (ONLY || METHODS.length < 2 || SMOKE) {
  console.log(
    "\nBENCH_ONLY, BENCH_METHOD or BENCH_SMOKE is set: bench/RESULTS.md and RESULTS.svg are left as they were",
  );
  console.log(lines.join("\n"));
} else {
  writeFileSync(join(root, "bench", "RESULTS.md"), lines.join("\n"));
  writeFileSync(join(root, "bench", "RESULTS.svg"), chart());
  console.log(`\nwrote bench/RESULTS.md and bench/RESULTS.svg`);
}

/**
 * The chart: one panel per measure (drain, echo), bars per receiver as ratios to the C limit of the
 * same run (recvmmsg; recvmmsg + sendmmsg for echo; the mingw loop under Wine), grouped by runtime.
 */
function chart() {
  const runtimeOf = (c) =>
    c.group !== "Linux" ? `Windows under Wine` : c.name.startsWith("C ") ? "C" : c.name.split(":")[0];
  const panels = [
    {
      title: "Drain: datagrams/s as a share of the C recvmmsg loop (Linux) or the C WSARecvMsg loop (Wine)",
      method: "drain",
      cases: selected,
      kind: (c) => c.group === "Linux" ? "limit" : "baseline",
    },
    ...(selectedEcho.length
      ? [{
        title: "Echo: answers/s as a share of the C recvmmsg + sendmmsg echo",
        method: "echo",
        cases: selectedEcho,
        kind: () => "limit",
      }]
      : []),
  ];
  const colors = { C: "#555", Deno: "#2a7", Bun: "#c73", Node: "#37b", "Windows under Wine": "#a4a" };
  const W = 980, label = 430, barMax = 440, row = 18;
  let y = 58;
  const parts = [];
  for (const p of panels) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(p.title)}</text>`);
    y += 12;
    let last = "";
    for (const c of p.cases) {
      const g = runtimeOf(c);
      if (g !== last) {
        y += 8;
        parts.push(`<text x="10" y="${y + 12}" font-style="italic" fill="${colors[g] ?? "#000"}">${esc(g)}</text>`);
        y += row;
        last = g;
      }
      const v = at(p.method, c);
      const q = ratioOf(p.method, c, reference(p.method, c.group, p.kind(c)));
      const r = v === undefined || Number.isNaN(v) || Number.isNaN(q) ? null : q;
      const w = r === null ? 0 : Math.max(1, Math.min(r, 1.5) / 1.5 * barMax);
      parts.push(
        `<text x="${label - 6}" y="${y + 12}" text-anchor="end">${esc(c.name.replace(/^[A-Za-z]+: /, ""))}</text>`,
      );
      parts.push(
        `<rect x="${label}" y="${y + 2}" width="${w.toFixed(1)}" height="${row - 5}" fill="${colors[g] ?? "#000"}"/>`,
      );
      parts.push(
        `<text x="${label + w + 4}" y="${y + 12}">${
          r === null ? "-" : `${r.toFixed(2)}×  (${Math.round(v / 1000)}k/s)`
        }</text>`,
      );
      y += row;
    }
    const one = label + barMax / 1.5;
    parts.push(
      `<line x1="${one}" y1="${
        y - (p.cases.length) * row - 60
      }" x2="${one}" y2="${y}" stroke="#000" stroke-dasharray="3,3"/>`,
    );
    parts.push(`<text x="${one + 3}" y="${y + 12}" font-size="11">1.0 = the C limit</text>`);
    y += 40;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n<text x="10" y="20" font-size="14" font-weight="bold">recvmsg benchmark, ${
      new Date().toISOString().slice(0, 10)
    }</text>\n` +
    `<text x="10" y="36" font-size="10" fill="#444">${esc(machine)}</text>\n` +
    parts.join("\n") + "\n</svg>\n";
}

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
