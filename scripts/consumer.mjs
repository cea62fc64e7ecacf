#!/usr/bin/env node
// The package as its users get it, run by `npm test`:
//   npm: `npm pack`, install the tarball into a scratch project, import "recvmsg" and receive one
//        datagram with packet info on Bun, Node 26 and Deno (through that project's node_modules), under
//        Linux and (when root) Windows under Wine; `require("recvmsg")` from a CommonJS project (`npm init
//        -y`); the declarations (doc examples import "recvmsg", no internal members); its `recvmsg` bin on
//        Bun and Node, and through `bunx` (which must end on Bun); bundled builds (`bun build --compile`,
//        `bun build --target=bun`, esbuild for Node) receive with a waiting receive or fail with a sentence.
//   JSR: copy exactly what `deno publish` would upload into a scratch folder, and import and use it there.
// Prints one `ok`/`FAIL` line per check and a closing `N passed, N failed`.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n) => join(root, "node_modules", ".bin", n);
// Inside the checkout (ignored by git), so that the Wine harness, which mounts the checkout, sees it.
const scratch = join(root, ".cache", "consumer");
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
let passed = 0;
let failed = 0;
const check = (name, ok, detail = "") => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail && !ok ? `: ${detail}` : ""}`);
};

// A program a user would write: receive one datagram sent to 127.0.0.2 and report what it reached.
const USE = `
import { listenDatagram } from "recvmsg";
import dgram from "node:dgram";
const conn = listenDatagram({ hostname: "0.0.0.0" });
const tx = dgram.createSocket("udp4");
tx.send("hello from a user", conn.addr.port, "127.0.0.2");
const m = await conn.receiveMsg({ signal: AbortSignal.timeout(10000) });
console.log(JSON.stringify({ text: new TextDecoder().decode(m.data), local: m.localAddr?.hostname, ifindex: m.localAddr?.interfaceIndex }));
tx.close();
conn.close();
`;
// The same, but the receive waits before the datagram is sent: the case that needs the poller worker.
const WAITING = `
import { listenDatagram } from "recvmsg";
import dgram from "node:dgram";
const conn = listenDatagram({ hostname: "0.0.0.0" });
const pending = conn.receiveMsg({ signal: AbortSignal.timeout(10000) });
await new Promise((r) => setTimeout(r, 100));
const tx = dgram.createSocket("udp4");
tx.send("hello from a user", conn.addr.port, "127.0.0.2");
const m = await pending;
console.log(JSON.stringify({ text: new TextDecoder().decode(m.data), local: m.localAddr?.hostname, ifindex: m.localAddr?.interfaceIndex }));
tx.close();
conn.close();
`;
const expect = (out) => {
  const line = out.trim().split(/\r?\n/).filter((l) => l.startsWith("{")).pop();
  if (!line) return false;
  const r = JSON.parse(line);
  return r.text === "hello from a user" && r.local === "127.0.0.2" && r.ifindex > 0;
};

// --- npm ---
const pack = spawnSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: root, encoding: "utf8" });
check("npm pack builds and packs the package", pack.status === 0, pack.status === 0 ? "" : pack.stderr.slice(-500));
if (pack.status === 0) {
  const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("[")))[0];
  const files = info.files.map((f) => f.path);
  check(
    "the tarball holds compiled JavaScript with types, and no TypeScript sources",
    files.includes("dist/mod.js") && files.includes("dist/mod.d.ts") &&
      files.includes("dist/ffi/runtime/bun_poller.js") && !files.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
    `${files.length} files`,
  );
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  check(
    "package.json: engines says Node 26.1 or later, and names the repository its README links to",
    manifest.engines?.node === ">=26.1" &&
      /^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/.test(manifest.repository?.url),
    JSON.stringify({ engines: manifest.engines, repository: manifest.repository }),
  );
  const project = join(scratch, "project");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      scripts: { v: "recvmsg --version", n: "node node_modules/.bin/recvmsg --version" },
    }),
  );
  const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--offline", join(scratch, info.filename)], {
    cwd: project,
    encoding: "utf8",
  });
  check("npm install of the tarball into a new project", install.status === 0, install.stderr.slice(-300));
  writeFileSync(join(project, "use.mjs"), USE);
  const bun = spawnSync(bin("bun"), ["use.mjs"], { cwd: project, encoding: "utf8", timeout: 30_000 });
  check(
    'Linux Bun: import "recvmsg" and receive with packet info',
    bun.status === 0 && expect(bun.stdout),
    bun.stdout + bun.stderr,
  );
  // A TypeScript user: the declarations resolve and type the API.
  writeFileSync(
    join(project, "typed.ts"),
    [
      `import { DatagramConn, listenDatagram, type DatagramMessage, MulticastMembership } from "recvmsg";`,
      `const conn = listenDatagram({ hostname: "0.0.0.0", hopLimit: true });`,
      `const m: DatagramMessage = await conn.receiveMsg();`,
      `const n: number | undefined = m.localAddr?.interfaceIndex;`,
      `console.log(n);`,
      // What the package keeps for itself is not in its types (each line fails to compile, as it must).
      `// @ts-expect-error the constructor is internal`,
      `new DatagramConn();`,
      `// @ts-expect-error the constructor is internal`,
      `new MulticastMembership();`,
    ].join("\n"),
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        lib: ["ES2022", "DOM", "ESNext.Disposable"],
        types: [],
      },
      files: ["typed.ts"],
    }),
  );
  const tsc = spawnSync(bin("tsc"), ["-p", "."], { cwd: project, encoding: "utf8" });
  check(
    "TypeScript (NodeNext) type-checks a program against the package's declarations, which hide internal members",
    tsc.status === 0,
    tsc.stdout.slice(-600),
  );
  const installed = join(project, "node_modules", "recvmsg", "dist");
  const modDts = readFileSync(join(installed, "mod.d.ts"), "utf8");
  check(
    'the declarations\' doc examples import "recvmsg" (npm), not the JSR name',
    /import \{ listenDatagram \} from "recvmsg";/.test(modDts) && !/["']@recvmsg\/recvmsg/.test(modDts) &&
      !/["']@recvmsg\/recvmsg/.test(readFileSync(join(installed, "structs", "mod.d.ts"), "utf8")),
    modDts.match(/.*from "[^"]*recvmsg[^"]*".*/)?.[0] ?? "no example import found",
  );
  const node = spawnSync(bin("node"), ["--disable-warning=ExperimentalWarning", "use.mjs"], {
    cwd: project,
    encoding: "utf8",
    timeout: 30_000,
  });
  check(
    'Linux Node 26 (node:ffi): import "recvmsg" and receive with packet info',
    node.status === 0 && expect(node.stdout),
    node.stdout + node.stderr,
  );
  // A program on node:dgram, unchanged, given recvmsg/dgram by the package's register module.
  writeFileSync(
    join(project, "registered.mjs"),
    [
      `import { createSocket } from "node:dgram";`,
      `const rx = createSocket("udp4");`,
      `rx.bind(0, "127.0.0.1", () => {`,
      `  rx.once("message", (msg, rinfo) => { console.log(String(msg), rinfo.localAddress); rx.close(); tx.close(); });`,
      `  const tx = createSocket("udp4");`,
      `  tx.send("registered", rx.address().port, "127.0.0.1");`,
      `});`,
    ].join("\n"),
  );
  for (
    const [name, argv] of [
      ["Node 26", [bin("node"), "--disable-warning=ExperimentalWarning", "--import", "recvmsg/dgram/register"]],
      ["Bun", [bin("bun"), "--preload", "recvmsg/dgram/register"]],
    ]
  ) {
    const r = spawnSync(argv[0], [...argv.slice(1), "registered.mjs"], {
      cwd: project,
      encoding: "utf8",
      timeout: 30_000,
    });
    check(
      `Linux ${name}: a program on node:dgram, started with recvmsg/dgram/register loaded first, gets rinfo.localAddress`,
      r.status === 0 && r.stdout.trim() === "registered 127.0.0.1",
      r.stdout + r.stderr,
    );
  }
  const noFfi = spawnSync(bin("node"), ["--no-experimental-ffi", "use.mjs"], {
    cwd: project,
    encoding: "utf8",
    timeout: 30_000,
  });
  check(
    "Node with --no-experimental-ffi: importing says node:ffi is off and what to do",
    noFfi.status !== 0 && /node:ffi is not available.*--experimental-ffi/.test(noFfi.stderr),
    noFfi.stderr.slice(-300),
  );
  const perm = spawnSync(bin("node"), ["--permission", "--allow-fs-read=*", "use.mjs"], {
    cwd: project,
    encoding: "utf8",
    timeout: 30_000,
  });
  check(
    "Node with --permission and no --allow-ffi: opening a socket says to add --allow-ffi",
    perm.status !== 0 && /permission model refuses FFI: run with --allow-ffi/.test(perm.stderr),
    perm.stderr.slice(-300),
  );
  const old = spawnSync("/usr/bin/node", ["--version"], { encoding: "utf8" });
  if (old.status === 0 && Number(old.stdout.slice(1).split(".")[0]) < 26) {
    const r = spawnSync("/usr/bin/node", ["use.mjs"], { cwd: project, encoding: "utf8", timeout: 30_000 });
    check(
      `Node ${old.stdout.trim()} (no node:ffi): importing says Node 26.1 or later is needed`,
      r.status !== 0 && /needs Node 26\.1 or later/.test(r.stderr),
      r.stderr.slice(-300),
    );
  }
  const deno = spawnSync(bin("deno"), ["run", "-A", "use.mjs"], { cwd: project, encoding: "utf8", timeout: 30_000 });
  check(
    'Linux Deno: import "recvmsg" from node_modules and receive with packet info',
    deno.status === 0 && expect(deno.stdout),
    deno.stdout + deno.stderr,
  );
  // RECVMSG_NO_WINE=1 leaves the Windows runs out (a helper's checkout shares no Wine rootfs with the lead's).
  if (process.getuid?.() === 0 && !process.env.RECVMSG_NO_WINE) {
    const names = { bun: "Bun", deno: "Deno", node: "Node 26" };
    for (const rt of ["bun", "deno", "node"]) {
      const script = ".cache/consumer/project/use.mjs";
      const args = rt === "deno"
        ? ["deno", "run", "-A", script]
        : rt === "node"
        ? ["node", "--disable-warning=ExperimentalWarning", script]
        : ["bun", script];
      const w = spawnSync("bash", [join(root, "scripts", "wine.sh"), ...args], {
        cwd: root,
        encoding: "utf8",
        timeout: 120_000,
      });
      check(
        `Windows ${names[rt]} (Wine): import "recvmsg" from node_modules and receive with packet info`,
        w.status === 0 && expect(w.stdout),
        (w.stdout + w.stderr).split("\n").filter((l) => !/directory mismatch/.test(l)).join("\n").slice(-500),
      );
    }
  }
  // The bin, as `bunx recvmsg listen` and `npx recvmsg listen` run it.
  const runBin = (cmd) =>
    new Promise((resolve) => {
      const c = spawn(cmd, [
        join(project, "node_modules", ".bin", "recvmsg"),
        "listen",
        "--hostname",
        "127.0.0.1",
        "--port",
        "0",
        "--json",
      ], { cwd: project });
      let out = "";
      let err = "";
      let sent = false;
      const timer = setTimeout(() => c.kill("SIGKILL"), 20_000);
      c.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) c.kill("SIGINT");
      });
      c.stderr.on("data", (d) => {
        err += d;
        const m = err.match(/listening on 127\.0\.0\.1:(\d+)/);
        if (m && !sent) {
          sent = true;
          execFileSync(process.execPath, [
            "-e",
            `const s = require("node:dgram").createSocket("udp4"); s.send("via bin", ${
              m[1]
            }, "127.0.0.1", () => s.close())`,
          ]);
        }
      });
      c.on("close", () => {
        clearTimeout(timer);
        let r = {};
        try {
          r = JSON.parse(out.split("\n")[0]);
        } catch { /* checked below */ }
        // Nothing but the listener's own lines on stderr (no runtime warnings).
        resolve([
          r.local?.hostname === "127.0.0.1" && /stopped after 1 datagram/.test(err) &&
          err.trim().split("\n").every((l) => l.startsWith("recvmsg: ")),
          out + err,
        ]);
      });
    });
  for (const [name, cmd] of [["Bun", bin("bun")], ["Node 26", bin("node")]]) {
    const ok = await runBin(cmd);
    check(
      `the package's bin on ${name}: recvmsg listen --json prints the datagram, Ctrl-C stops it`,
      ok[0],
      ok[1].slice(-300),
    );
  }
  const oldBin = spawnSync("/usr/bin/node", [join(project, "node_modules", ".bin", "recvmsg"), "listen"], {
    cwd: project,
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, PATH: "/usr/bin:/bin" },
  });
  check(
    "the bin on a Node without node:ffi, and no Bun on PATH, says what to do (exit 2)",
    oldBin.status === 2 && /Node 26\.1/.test(oldBin.stderr),
    oldBin.stderr.slice(-300),
  );

  // A CommonJS project, as `npm init -y` makes one, that requires the package.
  const cjsProject = join(scratch, "cjs");
  mkdirSync(cjsProject);
  const init = spawnSync("npm", ["init", "-y"], { cwd: cjsProject, encoding: "utf8" });
  const cjsInstall = init.status === 0 &&
    spawnSync("npm", ["install", "--no-audit", "--no-fund", "--offline", join(scratch, info.filename)], {
        cwd: cjsProject,
        encoding: "utf8",
      }).status === 0;
  writeFileSync(
    join(cjsProject, "index.js"),
    `const { listenDatagram } = require("recvmsg");
const dgram = require("node:dgram");
(async () => {
  const conn = listenDatagram({ hostname: "0.0.0.0" });
  const tx = dgram.createSocket("udp4");
  tx.send("hello from a user", conn.addr.port, "127.0.0.2");
  const m = await conn.receiveMsg({ signal: AbortSignal.timeout(10000) });
  console.log(JSON.stringify({ text: new TextDecoder().decode(m.data), local: m.localAddr?.hostname, ifindex: m.localAddr?.interfaceIndex }));
  tx.close();
  conn.close();
})();
`,
  );
  const cjs = cjsInstall
    ? spawnSync(bin("node"), ["--disable-warning=ExperimentalWarning", "index.js"], {
      cwd: cjsProject,
      encoding: "utf8",
      timeout: 30_000,
    })
    : { status: -1, stdout: "", stderr: "npm init -y / npm install failed" };
  const cjsOk = cjs.status === 0 && expect(cjs.stdout);
  check(
    'CommonJS on Node 26 (npm init -y project): require("recvmsg") and receive with packet info',
    cjsOk,
    (cjs.stdout + cjs.stderr).slice(-500),
  );

  // `bunx recvmsg` (the package's bin through Bun's runner, which starts Node for a `#!/usr/bin/env node`
  // bin) must end up on Bun; `npx recvmsg` on Node.
  const pathWithTools = `${join(root, "node_modules", ".bin")}:${process.env.PATH}`;
  // As a user types them in a shell: without the npm_* variables of the `npm test` running this (Bun keeps an
  // inherited npm_config_user_agent, so under npm the bin could not tell that Bun started it).
  const shellEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  for (
    const [runner, argv, want] of [
      ["bunx", [bin("bun"), "x", "recvmsg", "--version"], /^recvmsg \d+\.\d+\.\d+ \(Bun\//],
      ["bun run", [bin("bun"), "run", "recvmsg", "--version"], /^recvmsg \d+\.\d+\.\d+ \(Bun\//],
      ["npx", ["npx", "--no-install", "recvmsg", "--version"], /^recvmsg \d+\.\d+\.\d+ \(Node\.js\//],
      ['bun run, script "recvmsg --version",', [bin("bun"), "run", "v"], /^recvmsg \d+\.\d+\.\d+ \(Bun\//],
      [
        'bun run, script "node node_modules/.bin/recvmsg --version",',
        [bin("bun"), "run", "n"],
        /^recvmsg \d+\.\d+\.\d+ \(Node\.js\//,
      ],
    ]
  ) {
    const r = spawnSync(argv[0], argv.slice(1), {
      cwd: project,
      encoding: "utf8",
      timeout: 30_000,
      env: { ...shellEnv, PATH: pathWithTools },
    });
    check(
      `${runner.endsWith(",") ? runner.slice(0, -1) : `${runner} recvmsg --version`} runs on ${
        /Node/.test(want.source) ? "Node" : "Bun"
      }`,
      want.test(r.stdout),
      r.stdout + r.stderr,
    );
  }

  // Bundled builds: a receive that waits (the poller worker's case) works, or the program says why in a
  // sentence and exits non-zero; it never hangs or crashes on a file it cannot find. With the worker given
  // to the bundler as a second entry point (what that sentence advises), it works.
  writeFileSync(join(project, "waiting.mjs"), WAITING);
  const out = (...p) => join(project, "out", ...p);
  const worker = (name) => `node_modules/recvmsg/dist/ffi/runtime/${name}.js`;
  const loud = (r) => r.status !== 0 && r.status !== null && /recvmsg: a receive must wait.*bundl/.test(r.stderr);
  const esbuild = (
    ...a
  ) => [bin("esbuild"), "--bundle", "--platform=node", "--format=esm", "--log-level=warning", ...a];
  const node26 = [bin("node"), "--disable-warning=ExperimentalWarning"];
  const bundles = [
    ["bun build --compile", [bin("bun"), "build", "--compile", "waiting.mjs", "--outfile", out("a", "app")], [
      out("a", "app"),
    ]],
    ["bun build --target=bun", [bin("bun"), "build", "--target=bun", "waiting.mjs", "--outdir", out("b")], [
      bin("bun"),
      out("b", "waiting.js"),
    ]],
    ["esbuild for Node", esbuild("waiting.mjs", `--outdir=${out("c")}`), [...node26, out("c", "waiting.js")]],
    [
      "bun build --compile, the worker as a second entry point",
      [bin("bun"), "build", "--compile", "waiting.mjs", worker("bun_poller"), "--outfile", out("d", "app")],
      [out("d", "app")],
    ],
    [
      "bun build --target=bun, the worker as a second entry point",
      [bin("bun"), "build", "--target=bun", "waiting.mjs", worker("bun_poller"), "--outdir", out("e")],
      [bin("bun"), out("e", "waiting.js")],
    ],
  ];
  for (const [name, build, runArgs] of bundles) {
    const b = spawnSync(build[0], build.slice(1), { cwd: project, encoding: "utf8", timeout: 120_000 });
    if (b.status !== 0) {
      check(`${name}: the bundle builds`, false, (b.stdout + b.stderr).slice(-400));
      continue;
    }
    const r = spawnSync(runArgs[0], runArgs.slice(1), { cwd: project, encoding: "utf8", timeout: 30_000 });
    const works = r.status === 0 && expect(r.stdout);
    const advised = name.includes("second entry");
    check(
      `${name}: a waiting receive ${advised ? "works" : "works, or the program says in a sentence what to do"}`,
      works || (!advised && loud(r)),
      r.status === null
        ? `no exit within 30 s (hangs): ${r.stderr.slice(-300)}`
        : `exit ${r.status}: ${(r.stdout + r.stderr).slice(-400)}`,
    );
  }
}

// --- JSR: what `deno publish` uploads, alone ---
const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const jsr = join(scratch, "jsr");
for (const entry of deno.publish.include) cpSync(join(root, entry), join(jsr, entry), { recursive: true });
writeFileSync(
  join(jsr, "deno.json"),
  JSON.stringify({ name: deno.name, version: deno.version, exports: deno.exports }),
);
writeFileSync(join(jsr, "use.ts"), USE.replace('from "recvmsg"', 'from "./mod.ts"'));
const alone = spawnSync(bin("deno"), ["run", "-A", "use.ts"], { cwd: jsr, encoding: "utf8", timeout: 30_000 });
check(
  "JSR: the published file set alone imports and receives on Deno",
  alone.status === 0 && expect(alone.stdout),
  alone.stdout + alone.stderr,
);
const aloneBun = spawnSync(bin("bun"), ["use.ts"], { cwd: jsr, encoding: "utf8", timeout: 30_000 });
check(
  "JSR: the published file set alone imports and receives on Bun",
  aloneBun.status === 0 && expect(aloneBun.stdout),
  aloneBun.stdout + aloneBun.stderr,
);
const entries = Object.values(deno.exports);
const lint = spawnSync(bin("deno"), ["doc", "--lint", ...entries], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
});
check(
  `deno doc --lint over every exported entry point (${entries.join(", ")})`,
  lint.status === 0,
  lint.stderr.split("\n").filter((l) => /error/.test(l)).slice(0, 10).join("\n"),
);
// The README's TypeScript examples: each imports the npm name with the JSR name beside it, and type-checks.
const readme = readFileSync(join(root, "README.md"), "utf8");
const snippets = [...readme.matchAll(/```ts\n([^]*?)```/g)].map((m) => m[1]);
snippets.forEach((code, i) =>
  writeFileSync(join(jsr, `readme_${i}.ts`), code.replace(/from "recvmsg"/g, 'from "./mod.ts"'))
);
check(
  `the README's ${snippets.length} TypeScript examples import "recvmsg" and name "@recvmsg/recvmsg" for JSR`,
  snippets.length > 0 && snippets.every((c) => /from "recvmsg";.*@recvmsg\/recvmsg/.test(c)),
  snippets.find((c) => !/from "recvmsg";.*@recvmsg\/recvmsg/.test(c))?.split("\n")[0] ?? "no examples",
);
const readmeCheck = spawnSync(bin("deno"), ["check", ...snippets.map((_, i) => `readme_${i}.ts`)], {
  cwd: jsr,
  encoding: "utf8",
});
check("the README's TypeScript examples type-check", readmeCheck.status === 0, readmeCheck.stderr.slice(-500));
const check2 = spawnSync(bin("deno"), ["check", "use.ts"], { cwd: jsr, encoding: "utf8" });
check("JSR: the published file set type-checks on its own", check2.status === 0, check2.stderr.slice(-400));

rmSync(scratch, { recursive: true, force: true });
console.log(`consumer: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
