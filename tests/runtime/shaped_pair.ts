// The two ends of a send test over a shaped link (see netns.ts shapedLink): the counting receiver
// (fixtures/udp_counter.ts) and the sender (fixtures/shaped_sender.ts), each started in its namespace
// with this runtime, and the JSON line each ends with.
import { child, runtimeArgv } from "./harness.ts";
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
