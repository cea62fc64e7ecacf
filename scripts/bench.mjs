#!/usr/bin/env node
// `npm run bench`: every receiver, in one run, by two methods, with 64-byte datagrams from a C
// sendmmsg flooder on loopback:
//   drain: the receiver blocks while COUNT datagrams are queued, then drains them; datagrams/s =
//          received / drain time (its own cost per datagram). Three bursts are drained untimed first (warm-up).
//   flood: the flooder sends for the whole run while the receiver receives; datagrams/s = received in
//          a WINDOW after a warm-up (what it keeps up with while a sender competes for the 2 cores).
// Each case runs RUNS times; the table gives medians and ratios to the C recvmsg loop of the same group
// and method, and goes to bench/RESULTS.md. Needs gcc (and x86_64-w64-mingw32-gcc and root for the
// Windows part; root also raises the socket buffer limits for the duration, then restores them).
//   echo:  a C client keeps 256 requests in flight to an echo server and counts answers/s (bench/echo_server.ts,
//          bench/c/echo_*.c); the table gives ratios to the C recvmsg+sendmsg and recvmmsg+sendmmsg echoes.
// It prints progress as it goes, and writes bench/RESULTS.md and the chart bench/RESULTS.svg.
// BENCH_RUNS=n, BENCH_COUNT=n, BENCH_WINE=0 (Linux only), BENCH_ECHO=0, BENCH_METHOD=drain|flood,
// BENCH_ONLY=text (only cases whose "group: name" contains it; baselines always run; RESULTS.md kept).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const COUNT = Number(process.env.BENCH_COUNT ?? 40000);
const SIZE = 64;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WITH_WINE = process.env.BENCH_WINE !== "0";
const METHODS = process.env.BENCH_METHOD ? [process.env.BENCH_METHOD] : ["drain", "flood"];
const ONLY = process.env.BENCH_ONLY;
const WITH_ECHO = process.env.BENCH_ECHO !== "0";
/** Flood timing per group: warm-up and counting window, in ms. Wine's calls are ~100× slower. */
const FLOOD = { Linux: { warm: 300, window: 1000 }, Wine: { warm: 500, window: 2000 } };
const dir = mkdtempSync(join(tmpdir(), "recvmsg-bench-"));
const bin = (n) => join(root, "node_modules", ".bin", n);

const cc = (compiler, src, out, extra = []) =>
  execFileSync(compiler, ["-O2", "-o", out, join(root, "bench", "c", src), ...extra], { stdio: "inherit" });
cc("gcc", "flood.c", join(dir, "flood"));
cc("gcc", "recv_linux.c", join(dir, "recv_linux"));
cc("gcc", "echo_linux.c", join(dir, "echo_linux"));
cc("gcc", "echo_client.c", join(dir, "echo_client"));
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
};
const raised = sysctl("net.core.rmem_max", 64 << 20) && sysctl("net.core.rmem_default", 32 << 20);
if (!raised) {
  console.error("bench: could not raise net.core.rmem_max (not root?): bursts may overflow and be cut short");
}

const flood = (port, args) => spawn(join(dir, "flood"), [String(port), ...args.map(String)], { stdio: "ignore" });

/**
 * One sample. Drain: when the receiver prints its port, queue a warm-up burst; when it prints "ready",
 * queue the timed burst. Flood: when it prints its port, start a flooder that outlasts the window.
 * Then read "received seconds".
 */
function sample(method, timing, cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
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
    return [
      { group: "Linux", name: `${rt}: tryReceiveMsg, caller buffer`, run: js("try") },
      { group: "Linux", name: `${rt}: tryReceiveMsg, caller buffer, reused message`, run: js("try-reuse") },
      { group: "Linux", name: `${rt}: tryReceiveMsgs(64) batch, caller buffer (recvmmsg)`, run: js("batch") },
      { group: "Linux", name: `${rt}: receiveMsg, caller buffer`, run: js("async-buffer") },
      { group: "Linux", name: `${rt}: receiveMsg, fresh copies`, run: js("async-copy") },
      { group: "Linux", name: `${rt}: messages(), fresh copies`, run: js("messages-copy") },
      { group: "Linux", name: `${rt}: messages({ buffer })`, run: js("messages-buffer") },
      ...(rt === "Deno"
        ? [{
          group: "Linux",
          name: "Deno: Deno.listenDatagram (no packet info)",
          run: js("deno-builtin", ["--unstable-net"]),
        }]
        : rt === "Bun"
        ? [{ group: "Linux", name: "Bun: Bun.udpSocket (no packet info)", run: js("bun-builtin") }]
        : []),
      { group: "Linux", name: `${rt}: node:dgram (no packet info)`, run: js("node-dgram") },
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
const ECHO = { warm: 300, window: 1000, outstanding: 256 };
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
  ...["Deno", "Bun", "Node"].flatMap((rt) => {
    const js = (mode) => () =>
      rt === "Deno"
        ? [deno, ["run", "-A", ...(mode === "deno-builtin" ? ["--unstable-net"] : []), echoServer, mode]]
        : rt === "Node"
        ? [bin("node"), ["--disable-warning=ExperimentalWarning", echoServer, mode]]
        : [bun, [echoServer, mode]];
    return [
      { group: "Linux", name: `${rt}: messages() + await sendMsg (idiomatic)`, run: js("idiomatic") },
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

/** One echo sample: start the server, run the client against its port, stop the server. */
function echoSample(cmd, args) {
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
      const client = spawn(
        join(dir, "echo_client"),
        [port, SIZE, ECHO.warm, ECHO.window, ECHO.outstanding].map(String),
      );
      let text = "";
      client.stdout.on("data", (c) => text += c);
      client.on("close", () => {
        const m = text.match(/^(\d+) ([0-9.]+)/);
        finish(m ? { received: Number(m[1]), seconds: Number(m[2]) } : null);
      });
    });
  });
}

const selected = cases.filter((c) => !ONLY || c.baseline || c.limit || `${c.group}: ${c.name}`.includes(ONLY));
const selectedEcho = WITH_ECHO
  ? echoCases.filter((c) => !ONLY || c.baseline || c.limit || `echo ${c.group}: ${c.name}`.includes(ONLY))
  : [];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const rate = new Map(); // `${method} ${group}: ${name}` -> median datagrams/s
const plan = [
  ...METHODS.flatMap((method) => selected.map((c) => ({ method, c }))),
  ...selectedEcho.map((c) => ({ method: "echo", c })),
];
const began = performance.now();
try {
  for (const [k, { method, c }] of plan.entries()) {
    const elapsed = (performance.now() - began) / 1000;
    const eta = k === 0 ? "" : `, about ${Math.ceil((elapsed / k) * (plan.length - k) / 60)} min left`;
    process.stdout.write(`[${String(k + 1).padStart(3)}/${plan.length}  ${Math.round(elapsed)} s${eta}]  `);
    const timing = c.group === "Linux" ? FLOOD.Linux : FLOOD.Wine;
    const rates = [];
    let short = 0;
    for (let i = 0; i < RUNS; i++) {
      const [cmd, args] = c.run(method, timing);
      const r = method === "echo"
        ? await echoSample(cmd, args.map(String))
        : await sample(method, timing, cmd, args.map(String));
      if (!r || r.seconds <= 0) continue;
      if (method === "drain" && r.received < COUNT) short++;
      rates.push(r.received / r.seconds);
    }
    const m = median(rates);
    rate.set(`${method} ${c.group}: ${c.name}`, m);
    const shown = Number.isNaN(m) ? "failed" : `${Math.round(m / 1000)}k/s`;
    console.log(
      `${method.padEnd(5)} ${c.group.padEnd(19)} ${c.name.padEnd(58)} ${
        shown.padStart(9)
      }  (${rates.length}/${RUNS} runs${short ? `, ${short} short` : ""})`,
    );
  }
} finally {
  for (const [k, v] of Object.entries(saved)) if (v) sysctl(k, v);
}

const ver = (cmd, args) => spawnSync(cmd, args, { encoding: "utf8" }).stdout.split("\n")[0].trim();
const list = (method) => method === "echo" ? selectedEcho : selected;
const reference = (method, group, kind) =>
  rate.get(`${method} ${group}: ${list(method).find((c) => c[kind] && c.group === group)?.name}`);
const fmt = (r) => r === undefined ? "-" : Number.isNaN(r) ? "failed" : Math.round(r).toLocaleString("en-US");
const ratio = (r, b) => r === undefined || Number.isNaN(r) || !b ? "-" : (r / b).toFixed(2);
const at = (method, c) => rate.get(`${method} ${c.group}: ${c.name}`);
const machine =
  `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${ver("uname", ["-sr"])}; ${ver(deno, ["--version"])}; Bun ${
    ver(bun, ["--version"])
  }; ` +
  `Node ${ver(bin("node"), ["--version"])}` +
  (WITH_WINE ? "; Windows Deno 2.9.5, Bun 1.4.5 and Node 26.10.0 under Wine 10" : "");
const lines = [
  "# Benchmark results",
  "",
  `Made by \`npm run bench\` on ${
    new Date().toISOString().slice(0, 10)
  }: ${machine}. Chart: [RESULTS.svg](RESULTS.svg).`,
  "Every ratio is to a C loop measured in this same run; re-run rather than compare figures across machines.",
  "",
  "## Receive",
  "",
  `Datagrams of ${SIZE} bytes over loopback from a C \`sendmmsg\` flooder. **Drain**: ${COUNT} datagrams are queued while the receiver's`,
  "thread is blocked, then drained and timed: the receiver's own cost per datagram (after three untimed warm-up bursts drained the same way).",
  `**Flood**: the flooder sends throughout while the receiver receives; counted over ${
    FLOOD.Linux.window / 1000
  } s (Wine: ${FLOOD.Wine.window / 1000} s) after a`,
  `${FLOOD.Linux.warm} ms (Wine: ${FLOOD.Wine.warm} ms) warm-up, with sender and receiver sharing the machine's ${cpus().length} cores. Median of ${RUNS} runs per case.`,
  "Ratios are to the C `recvmsg` loop (one call per datagram) and to the C `recvmmsg` loop (32 per call: the kernel's limit) of the",
  "same group and method (the Windows group's: a mingw `WSARecvMsg` loop under the same Wine). The built-in receivers give no packet",
  "info; this module and the C loops read IP_PKTINFO.",
  "",
  "| group | receiver | drain datagrams/s | drain × C recvmsg | drain × C recvmmsg | flood datagrams/s | flood × C recvmsg |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ...selected.map((c) => {
    const d = at("drain", c);
    const f = at("flood", c);
    return `| ${c.group} | ${c.name} | ${fmt(d)} | ${ratio(d, reference("drain", c.group, "baseline"))} | ${
      ratio(d, reference("drain", c.group, "limit"))
    } | ${fmt(f)} | ${ratio(f, reference("flood", c.group, "baseline"))} |`;
  }),
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
      RUNS + " runs.",
    "",
    "| server | answers/s | × C recvmsg + sendmsg | × C recvmmsg + sendmmsg |",
    "| --- | ---: | ---: | ---: |",
    ...selectedEcho.map((c) => {
      const e = at("echo", c);
      return `| ${c.name} | ${fmt(e)} | ${ratio(e, reference("echo", c.group, "baseline"))} | ${
        ratio(e, reference("echo", c.group, "limit"))
      } |`;
    }),
    "",
  );
}
if (ONLY || METHODS.length < 2) {
  console.log("\nBENCH_ONLY or BENCH_METHOD is set: bench/RESULTS.md and RESULTS.svg are left as they were");
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
      const b = reference(p.method, c.group, p.kind(c));
      const r = v === undefined || Number.isNaN(v) || !b ? null : v / b;
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
