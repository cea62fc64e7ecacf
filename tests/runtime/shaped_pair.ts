// The two ends of a send test over a shaped link (see netns.ts shapedLink): the counting receiver
// (fixtures/udp_counter.ts) and the sender (fixtures/shaped_sender.ts), each started in its namespace
// with this runtime, and the JSON line each ends with.
import { rmSync, writeFileSync } from "node:fs";
import { child, runtime, runtimeArgv } from "./harness.ts";
import type { TestNet } from "./netns.ts";

/** fixtures/udp_counter.ts in namespace `ns`: prints "ready", then counts `count` datagrams on `port`. */
export function counter(net: TestNet, ns: string, port: number, count: number, waitMs = 20_000, limitMs = 30_000) {
  return child(
    [
      ...net.run(ns),
      ...runtimeArgv("tests/runtime/fixtures/udp_counter.ts"),
      String(port),
      String(count),
      String(waitMs),
    ],
    limitMs,
  );
}

/** fixtures/shaped_sender.ts in namespace `ns`: `count` datagrams of `size` bytes to `to`:`port`, by `mode`. */
export function sender(
  net: TestNet,
  ns: string,
  to: string,
  port: number,
  count: number,
  size: number,
  mode?: "batch" | "held" | "held-close",
) {
  return child([
    ...net.run(ns),
    ...runtimeArgv("tests/runtime/fixtures/shaped_sender.ts"),
    to,
    String(port),
    String(count),
    String(size),
    ...(mode ? [mode] : []),
  ], 30_000);
}

/** The JSON object a fixture printed last. */
export function lastJson(stdout: string) {
  return JSON.parse(stdout.trim().split(/\r?\n/).pop()!);
}

/** What a script printed last, as JSON: its shape is the script's own. */
// deno-lint-ignore no-explicit-any
type Printed = any;

/**
 * Runs `script` (a module's source, which may import this checkout by absolute URL) with this runtime in
 * namespace `ns`: written to tests/runtime/fixtures/.NAME_RUNTIME.ts, run, removed. Resolves with the run
 * and the JSON object it printed last (null if none).
 */
export async function scriptIn(
  net: TestNet,
  ns: string,
  name: string,
  script: string,
  limitMs = 30_000,
): Promise<{ r: { code: number | null; stdout: string; stderr: string }; o: Printed }> {
  const file = `tests/runtime/fixtures/.${name}_${runtime}.ts`;
  writeFileSync(file, script);
  try {
    const r = await child([...net.run(ns), ...runtimeArgv(file)], limitMs).done;
    let o = null;
    try {
      o = lastJson(r.stdout);
    } catch { /* none: the caller's assertion on r says why */ }
    return { r, o };
  } finally {
    rmSync(file, { force: true });
  }
}
