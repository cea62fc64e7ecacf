/**
 * Picks the adapter of the runtime this module runs on. The only place that asks.
 *
 * @module
 */
import type { Native } from "./types.ts";

async function load(): Promise<Native> {
  if ("Deno" in globalThis) return (await import("./runtime/deno.ts")).native;
  if ("Bun" in globalThis) return (await import("./runtime/bun.ts")).native;
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (p?.versions?.node) return (await import("./runtime/node.ts")).native;
  throw new Error(
    "recvmsg runs on Deno (--allow-ffi), Bun and Node 26.1 or later (node:ffi); this runtime is none of them.",
  );
}

/**
 * The adapter for the current runtime.
 *
 * @example
 * ```ts
 * import { native } from "./native.ts";
 * console.log(native.runtime, native.os); // "node" "linux"
 * ```
 */
export const native: Native = await load();
