#!/usr/bin/env node
// `npm start`: the struct layer decoding a WSAMSG (instant, any OS), then the live demo — natively
// (recvmsg on Linux, WSARecvMsg on Windows), and on Linux also under the Windows build of Deno in
// Wine (scripts/wine.sh builds its cached rootfs the first time, about two minutes, and needs root).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const deno = join(root, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
const opts = { cwd: root, stdio: "inherit", env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" } };

console.log("== 1. the struct layer: a WSAMSG and its control messages, built and decoded ==\n");
let r = spawnSync(deno, ["run", "--quiet", "examples/wsamsg.ts"], opts);
if (r.status !== 0) process.exit(r.status ?? 1);

const native = process.platform === "win32" ? "WSARecvMsg" : "recvmsg";
console.log(`\n== 2. live: ${native} on a wildcard socket, ${process.platform} Deno ==\n`);
r = spawnSync(deno, ["run", "--quiet", "--allow-ffi", "--allow-net", "examples/demo.ts"], opts);
if (r.status !== 0 || process.platform === "win32") process.exit(r.status ?? 1);

console.log("\n== 2b. the same on Node 26, through node:ffi ==\n");
r = spawnSync(
  join(root, "node_modules", ".bin", "node"),
  ["--disable-warning=ExperimentalWarning", "examples/demo.ts"],
  opts,
);
if (r.status !== 0) process.exit(r.status ?? 1);

console.log("\n== 3. live: WSARecvMsg, the Windows build of Deno under Wine 10 ==\n");
r = spawnSync("bash", [join(root, "scripts", "wine.sh"), "deno", "run", "--quiet", "-A", "examples/demo.ts"], opts);
process.exit(r.status ?? 1);
