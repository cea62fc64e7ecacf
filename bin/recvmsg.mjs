#!/usr/bin/env node
// The npm package's `recvmsg` command: runs the CLI (dist/cli.js) on the runtime that started it —
// `bunx recvmsg` on Bun, `npx recvmsg` on Node (26.1 or later, through node:ffi), `deno run -A
// npm:recvmsg` on Deno. Where the runtime cannot load the module (an older Node, or node:ffi turned
// off), it hands over to Bun when Bun is on PATH, and otherwise says what to do.
import { spawnSync } from "node:child_process";
import process from "node:process";

// Node announces node:ffi as experimental on stderr; the command's output is for people and scripts.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (/FFI is an experimental feature/.test(String(warning?.message ?? warning))) return;
  return emitWarning.call(process, warning, ...rest);
};

let cli;
try {
  cli = await import("../dist/cli.js");
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  if (!("Bun" in globalThis) && !("Deno" in globalThis)) {
    const bun = spawnSync("bun", [new URL("../dist/cli.js", import.meta.url).pathname, ...process.argv.slice(2)], {
      stdio: "inherit",
    });
    if (!bun.error) process.exit(bun.status ?? 1);
  }
  process.stderr.write(`recvmsg: ${message}\n`);
  process.exit(2);
}
const ac = new AbortController();
// Ctrl-C closes the socket; the loop then ends and the summary is printed.
process.on("SIGINT", () => ac.abort());
const code = await cli.main(process.argv.slice(2), {
  write: (line) => process.stdout.write(line + "\n"),
  error: (line) => process.stderr.write(line + "\n"),
  signal: ac.signal,
});
process.exit(code);
