// The `recvmsg` command: listen (output formats, --echo, errors, Ctrl-C), interfaces, send, --help and --version.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import { main, VERSION } from "../../cli.ts";
import { serveEcho } from "../../examples/echo_server.ts";
import { interfaces, listenDatagram } from "../../mod.ts";
import { onWindows, runtime, Sender, sleep, test, underWine } from "./harness.ts";

/** Runs main() in-process; `drive` gets the bound port and the lines so far, and stops by returning. */
async function run(
  args: string[],
  drive?: (port: number, out: string[]) => Promise<void>,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const ac = new AbortController();
  let port = -1;
  let started: () => void = () => {};
  const listening = new Promise<void>((r) => started = r);
  const done = main(args, {
    write: (l) => out.push(l),
    error: (l) => {
      err.push(l);
      const m = l.match(/listening on .*:(\d+)/);
      if (m) {
        port = Number(m[1]);
        started();
      }
    },
    signal: ac.signal,
  });
  if (drive) {
    await Promise.race([listening, done]);
    if (port > 0) await drive(port, out);
    ac.abort();
  }
  return { code: await done, out, err };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  assert.ok(cond(), "condition reached");
};

test("text output: one line per datagram with remote, local address and interface, hop limit, size, flags, preview", async () => {
  const tx = await Sender.open("udp4");
  try {
    const r = await run(["listen", "--port", "0", "--hop-limit"], async (port, out) => {
      await tx.send(new Uint8Array([104, 105, 0, 9]), "127.0.0.2", port);
      await until(() => out.length === 1);
    });
    assert.equal(r.code, 0);
    assert.match(
      r.out[0],
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z 127\\.0\\.0\\.1:${tx.port} -> 127\\.0\\.0\\.2 if \\d+ hop \\d+ 4 bytes "hi\\\\x00\\\\x09"$`,
      ),
    );
    assert.match(r.err.at(-1)!, /stopped after 1 datagram$/);
  } finally {
    await tx.close();
  }
});

test("--json prints NDJSON with the same fields", async () => {
  const tx = await Sender.open("udp6");
  try {
    const r = await run(["listen", "--port", "0", "--json"], async (port, out) => {
      await tx.send("one", "::1", port);
      await tx.send("two", "::1", port);
      await until(() => out.length === 2);
    });
    const [a, b] = r.out.map((l) => JSON.parse(l));
    assert.deepEqual({ ...a, time: undefined }, {
      time: undefined,
      remote: { hostname: "::1", port: tx.port },
      local: { hostname: "::1", interfaceIndex: a.local.interfaceIndex },
      hopLimit: null,
      size: 3,
      flags: [],
      preview: "one",
    });
    assert.ok(a.local.interfaceIndex > 0);
    assert.equal(b.preview, "two");
    assert.ok(!Number.isNaN(Date.parse(a.time)));
  } finally {
    await tx.close();
  }
});

test("--echo answers each datagram from the address it reached (not under Wine: its WSASendMsg ignores the source)", async () => {
  using client = listenDatagram({ hostname: "127.0.0.1" });
  const r = await run(["listen", "--port", "0", "--hostname", "0.0.0.0", "--echo"], async (port) => {
    await client.send(new TextEncoder().encode("echo?"), { hostname: "127.0.0.3", port });
    const reply = await client.receiveMsg({ signal: AbortSignal.timeout(5000) });
    assert.equal(new TextDecoder().decode(reply.data), "echo?");
    assert.equal(reply.remoteAddr.hostname, underWine ? "127.0.0.1" : "127.0.0.3");
    assert.equal(reply.remoteAddr.port, port);
  });
  assert.equal(r.code, 0);
  assert.equal(r.out.length, 1);
});

test("errors a person can act on: port in use, a name instead of an address, bad usage (exit 2)", async () => {
  using taken = listenDatagram({ hostname: "127.0.0.1" });
  const inUse = await run(["listen", "--port", String(taken.addr.port), "--hostname", "127.0.0.1"]);
  assert.equal(inUse.code, 2);
  assert.match(
    inUse.err[0],
    new RegExp(
      `port ${taken.addr.port} on 127\\.0\\.0\\.1 is already in use \\((WSAEADDRINUSE|EADDRINUSE)\\); pick another --port, or --reuse-port`,
    ),
  );
  const name = await run(["listen", "--hostname", "no such host"]);
  assert.equal(name.code, 2);
  assert.match(name.err[0], /--hostname must be an IPv4 or IPv6 address .* or a host name \(got "no such host"\)/);
  for (const args of [[], ["serve"], ["listen", "--port", "99999"], ["listen", "--port"], ["listen", "--verbose"]]) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err[0], /^recvmsg: /);
    assert.match(r.err[1], /^usage: recvmsg listen/);
  }
});

test("--help, -h, help COMMAND and COMMAND --help print usage on stdout (exit 0); --version prints the package's version", async () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    const r = await run(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(r.out.join("\n"), /^usage: recvmsg listen .*\n\s+recvmsg interfaces .*\n\s+recvmsg send ADDRESS PORT/);
    assert.deepEqual(r.err, []);
  }
  for (
    const [args, first] of [
      [["listen", "--help"], /^usage: recvmsg listen \[--port N\]/],
      [["listen", "-h"], /^usage: recvmsg listen \[--port N\]/],
      [["help", "send"], /^usage: recvmsg send ADDRESS PORT/],
      [["interfaces", "--help"], /^usage: recvmsg interfaces \[--json\]/],
    ] as const
  ) {
    const r = await run([...args]);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(r.out[0], first);
  }
  const fs = await import("node:fs");
  const v = await run(["--version"]);
  assert.equal(v.code, 0);
  assert.equal(v.out.length, 1);
  const name = { deno: "Deno", bun: "Bun", node: "Node\\.js" }[runtime];
  assert.match(
    v.out[0],
    new RegExp(`^recvmsg ${VERSION.replace(/\./g, "\\.")} \\(${name}/[0-9.]+, ${process.platform} ${process.arch}\\)$`),
  );
  assert.equal(VERSION, JSON.parse(fs.readFileSync("package.json", "utf8")).version, "package.json's version");
  assert.equal(VERSION, JSON.parse(fs.readFileSync("deno.json", "utf8")).version, "deno.json's version");
});

test("listen --port=N (the = form) binds that port", async () => {
  let free: number;
  {
    using probe = listenDatagram({ hostname: "127.0.0.1" });
    free = probe.addr.port;
  }
  const tx = await Sender.open("udp4");
  try {
    const r = await run(["listen", `--port=${free}`, "--hostname=127.0.0.1"], async (port, out) => {
      assert.equal(port, free);
      await tx.send("eq", "127.0.0.1", port);
      await until(() => out.length === 1);
    });
    assert.equal(r.code, 0);
    assert.match(r.out[0], /"eq"$/);
  } finally {
    await tx.close();
  }
});

test("listen --reuse-port shares a port with a socket that allows it (SO_REUSEPORT; Linux)", async () => {
  using holder = listenDatagram({ hostname: "127.0.0.1", reusePort: true });
  const shared = await run(
    ["listen", "--port", String(holder.addr.port), "--hostname", "127.0.0.1", "--reuse-port"],
    (port) => Promise.resolve(assert.equal(port, holder.addr.port)),
  );
  assert.equal(shared.code, 0, shared.err.join("\n"));
}, { windows: false });

test("interfaces: a row per interface with its index, name, state and addresses; --json gives interfaces() itself", async () => {
  const list = interfaces();
  const text = await run(["interfaces"]);
  assert.equal(text.code, 0);
  assert.match(text.out[0], /^index\s+name\s+state\s+addresses$/);
  assert.equal(text.out.length, list.length + 1);
  list.forEach((i, n) => {
    const row = text.out[n + 1];
    assert.ok(row.startsWith(`${i.index} `), row);
    assert.ok(row.includes(` ${i.name} `), row);
    assert.match(
      row,
      new RegExp(` ${i.up ? "up" : "down"}${i.loopback ? ",loopback" : ""}${i.multicast ? ",multicast" : ""} `),
    );
    for (const a of i.addresses) {
      assert.ok(
        row.includes(`${a.address}${a.scopeId ? `%${a.scopeId}` : ""}/${a.prefixLength}`),
        `${a.address} in ${row}`,
      );
    }
  });
  const lo = list.find((i) => i.loopback && i.addresses.some((a) => a.address === "127.0.0.1"));
  assert.ok(lo, "a loopback interface with 127.0.0.1");
  assert.match(text.out[list.indexOf(lo) + 1], /127\.0\.0\.1\/8/);
  const json = await run(["interfaces", "--json"]);
  assert.equal(json.code, 0);
  assert.deepEqual(json.out.map((l) => JSON.parse(l)), JSON.parse(JSON.stringify(list)));
  const bad = await run(["interfaces", "eth0"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err[1], /^usage: recvmsg interfaces/);
});

test("send: from a chosen source address with a hop limit, out of an interface named or numbered, hex payloads (source and hop limit: not under Wine)", async () => {
  using rx = listenDatagram({ hostname: "127.0.0.1", hopLimit: true });
  const lo = interfaces().find((i) => i.addresses.some((a) => a.address === "127.0.0.1"))!;
  const next = () => rx.receiveMsg({ signal: AbortSignal.timeout(5000) });
  const port = String(rx.addr.port);
  const a = await run(["send", "127.0.0.1", port, "hello", "--from", "127.0.0.5", "--hop-limit", "7"]);
  assert.equal(a.code, 0, a.err.join("\n"));
  assert.match(
    a.err[0],
    new RegExp(`^recvmsg: sent 5 bytes to 127\\.0\\.0\\.1:${port} from 127\\.0\\.0\\.5 hop limit 7`),
  );
  const m = await next();
  assert.equal(new TextDecoder().decode(m.data), "hello");
  assert.equal(m.remoteAddr.hostname, underWine ? "127.0.0.1" : "127.0.0.5");
  if (!underWine) assert.equal(m.hopLimit, 7);
  for (const spec of [lo.name, String(lo.index)]) {
    const b = await run(["send", "127.0.0.1", port, "--interface", spec, "--hex", "00 ff:10"]);
    assert.equal(b.code, 0, b.err.join("\n"));
    const n = await next();
    assert.deepEqual([...n.data], [0, 255, 16]);
    assert.equal(n.localAddr?.interfaceIndex, lo.index);
  }
  const empty = await run(["send", "127.0.0.1", port]);
  assert.equal(empty.code, 0);
  assert.equal((await next()).data.length, 0);
  assert.equal(rx.tryReceiveMsg(), null);
});

test("send --reply prints the answer as listen does: an echo server on 0.0.0.0 answers 127.0.0.3 from 127.0.0.3 (not under Wine)", async () => {
  const server = listenDatagram({ hostname: "0.0.0.0" });
  const served = serveEcho(server);
  try {
    const r = await run(["send", "127.0.0.3", String(server.addr.port), "ping", "--reply"]);
    assert.equal(r.code, 0, r.err.join("\n"));
    const from = underWine ? "127\\.0\\.0\\.1" : "127\\.0\\.0\\.3";
    assert.match(r.out[0], new RegExp(` ${from}:${server.addr.port} -> 127\\.0\\.0\\.1 if \\d+ 4 bytes "ping"$`));
  } finally {
    server.close();
  }
  assert.equal(await served, 1);
});

test("send refuses what it cannot do with a sentence: bad usage and wrong family (exit 2), no reply (exit 1)", async () => {
  using quiet = listenDatagram({ hostname: "127.0.0.1" });
  const port = String(quiet.addr.port);
  const cases: [string[], RegExp][] = [
    [["send"], /send needs an ADDRESS and a PORT/],
    [["send", "127.0.0.1"], /send needs an ADDRESS and a PORT/],
    [["send", "127.0.0.1", "70000"], /PORT must be a number from 0 to 65535/],
    [["send", "127.0.0.1", port, "x", "--hop-limit", "0"], /--hop-limit must be a number from 1 to 255/],
    [["send", "127.0.0.1", port, "x", "--hex"], /--hex needs pairs of hexadecimal digits/],
    [["send", "127.0.0.1", port, "zz", "--hex"], /--hex needs pairs of hexadecimal digits/],
    [["send", "localhost", port], /^recvmsg: ADDRESS must be a numeric IPv4 or IPv6 address/],
    [["send", "::1", port, "x", "--from", "127.0.0.1"], /--from must be a numeric IPv6 address/],
    [
      ["send", "127.0.0.1", port, "x", "--interface", "no-such-if"],
      /--interface: no interface "no-such-if" \(there are /,
    ],
    [["send", "127.0.0.1", port, "x", "y"], /unexpected argument "y"/],
    [["send", "127.0.0.1", port, "--timeout", "0"], /--timeout must be a number of seconds/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err[0], message);
    assert.match(r.err[1], /^usage: recvmsg send/);
  }
  assert.equal(quiet.tryReceiveMsg(), null, "nothing was sent by a refused command");
  const none = await run(["send", "127.0.0.1", port, "anyone?", "--reply", "--timeout", "0.2"]);
  assert.equal(none.code, 1);
  assert.match(none.err[1], /^recvmsg: no reply within 0\.2 s/);
});

/** The CLI as a child process of this runtime. */
function child(args: string[], prefix: string[] = [], env: Record<string, string> = {}) {
  const runArgs = runtime === "deno"
    ? ["run", "-A", "cli.ts", ...args]
    : runtime === "node"
    ? ["--disable-warning=ExperimentalWarning", "cli.ts", ...args]
    : ["cli.ts", ...args];
  const [cmd, ...rest] = [...prefix, process.execPath, ...runArgs];
  return spawn(cmd, rest, { env: { ...process.env, ...env } });
}

test("no permission: a port below 1024 as an unprivileged user is explained (Linux)", async () => {
  const asRoot = process.getuid?.() === 0;
  // As root, drop to nobody for the child; Deno needs a cache directory nobody can write.
  const c = child(
    ["listen", "--port", "53", "--hostname", "127.0.0.1"],
    asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [],
    {
      DENO_DIR: "/tmp/recvmsg-cli-test-deno",
      HOME: "/tmp",
    },
  );
  let stderr = "";
  c.stderr.on("data", (d) => stderr += d);
  const code = await new Promise<number | null>((r) => c.on("close", r));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /permission denied binding 127\.0\.0\.1:53 \(EACCES\): ports below 1024 need root/);
}, { windows: false });

test(
  "Ctrl-C (SIGINT) closes the socket and exits 0 with a summary (Linux: signals to a Wine child are not Ctrl-C)",
  async () => {
    const c = child(["listen", "--port", "0", "--hostname", "127.0.0.1"]);
    const err = createInterface({ input: c.stderr })[Symbol.asyncIterator]();
    const out = createInterface({ input: c.stdout })[Symbol.asyncIterator]();
    const first = (await err.next()).value as string;
    const port = Number(first.match(/:(\d+)$/)?.[1]);
    assert.ok(port > 0, first);
    const tx = await Sender.open("udp4");
    await tx.send("before ctrl-c", "127.0.0.1", port);
    assert.match((await out.next()).value as string, /"before ctrl-c"$/);
    await tx.close();
    // process.kill rather than c.kill: Deno's child_process reports a child it signalled itself as
    // killed by that signal even when the child handled it and exited 0.
    process.kill(c.pid!, "SIGINT");
    assert.match((await err.next()).value as string, /stopped after 1 datagram$/);
    assert.equal(await new Promise((r) => c.on("close", r)), 0);
  },
  { windows: false },
);

test("the CLI is wired for every runtime: deno.json exports ./cli, package.json's bin runs dist/cli.js", async () => {
  const fs = await import("node:fs");
  const denoJson = JSON.parse(fs.readFileSync("deno.json", "utf8"));
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  assert.equal(denoJson.exports["./cli"], "./cli.ts");
  assert.equal(pkg.exports["./cli"].default, "./dist/cli.js");
  assert.equal(pkg.bin.recvmsg, "./bin/recvmsg.mjs");
  // The bin starts with the runtime that npx/bunx picks, and imports the compiled CLI (scripts/consumer.mjs runs it).
  const launcher = fs.readFileSync(pkg.bin.recvmsg, "utf8");
  assert.match(launcher, /^#!\/usr\/bin\/env node\n/);
  // bunx and \`bun run\` start that Node; the launcher hands over to the Bun that started it.
  assert.match(launcher, /npm_config_user_agent/);
  assert.match(launcher, /import\("\.\.\/dist\/cli\.js"\)/);
  assert.ok(onWindows || fs.statSync(pkg.bin.recvmsg).mode & 0o100, "the bin is executable");
});
