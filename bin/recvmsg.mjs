#!/usr/bin/env node
// The npm package's `recvmsg` command: runs the CLI (dist/cli.js) on the runtime that started it —
// `bunx recvmsg` on Bun, `npx recvmsg` on Node (26.1 or later, through node:ffi), `deno run -A
// npm:recvmsg` on Deno.
//
// `bunx` and `bun run` honour this file's `#!/usr/bin/env node` and start Node; they say so in
// `npm_config_user_agent` ("bun/1.4.5 ...") and give their own binary as `npm_execpath`. Started that
// way, the command hands over to that Bun. Where Node cannot load the module (an older Node, or
// node:ffi turned off), it hands over to Bun when Bun is on PATH, and otherwise says what to do.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const onNode = !("Bun" in globalThis) && !("Deno" in globalThis);
// Set for the Bun this hands over to, so that a Bun that is not what it seems cannot make a loop.
const HANDED = "RECVMSG_BIN_HANDED_OVER";

/** Runs this file on `bun` with the same arguments and exits with its code; resolves false if it cannot start. */
function handOver(bun) {
  return new Promise((resolve) => {
    const child = spawn(bun, [self, ...args], { stdio: "inherit", env: { ...process.env, [HANDED]: "1" } });
    // Ctrl-C reaches the child from the terminal; a SIGINT sent to this process alone is passed on.
    process.on("SIGINT", () => child.kill("SIGINT"));
    child.on("error", () => resolve(false));
    child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
  });
}

/** The Bun that ran `bunx`/`bun run` (its bunx binary is the same program), when this was started by one. */
function startingBun() {
  if (!/^bun\//.test(process.env.npm_config_user_agent ?? "")) return null;
  // Only when Bun ran this command itself (`bunx recvmsg`, `bun run recvmsg`, a script "recvmsg ..."), not
  // when a script ran `node` explicitly, or a Node program a script started runs this bin in turn.
  const script = process.env.npm_lifecycle_script;
  if (script !== undefined && !/^recvmsg(\s|$)/.test(script)) return null;
  const execPath = process.env.npm_execpath ?? "";
  return /(^|[\\/])bunx?(\.exe)?$/.test(execPath) && existsSync(execPath) ? execPath : "bun";
}

if (onNode && !process.env[HANDED]) {
  const bun = startingBun();
  if (bun) await handOver(bun); // returns only if Bun could not be started: go on with Node
}

if (onNode) {
  // Node announces node:ffi as experimental on stderr; the command's output is for people and scripts.
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning, ...rest) {
    if (/FFI is an experimental feature/.test(String(warning?.message ?? warning))) return;
    return emitWarning.call(process, warning, ...rest);
  };
}

let cli;
try {
  cli = await import("../dist/cli.js");
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  if (onNode && !process.env[HANDED]) await handOver("bun");
  process.stderr.write(`recvmsg: ${message}\n`);
  process.exit(2);
}
const ac = new AbortController();
// Ctrl-C closes the socket; the loop then ends and the summary is printed.
process.on("SIGINT", () => ac.abort());
const code = await cli.main(args, {
  write: (line) => process.stdout.write(line + "\n"),
  error: (line) => process.stderr.write(line + "\n"),
  signal: ac.signal,
});
process.exit(code);
