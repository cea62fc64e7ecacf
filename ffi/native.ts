/**
 * Picks the adapter of the runtime this module runs on. The only place that asks.
 *
 * Every adapter is imported statically and its module body touches nothing of its runtime (Deno's
 * globals, `bun:ffi`, `node:ffi` are reached only inside the factory), so the module graph has no
 * top-level await and CommonJS can `require("recvmsg")` on Node.
 *
 * @module
 */
import type { Native } from "./types.ts";
import { denoNative } from "./runtime/deno.ts";
import { bunNative } from "./runtime/bun.ts";
import { nodeNative } from "./runtime/node.ts";

function pick(): Native {
  if ("Deno" in globalThis) return denoNative();
  if ("Bun" in globalThis) return bunNative();
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (p?.versions?.node) return nodeNative();
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
export const native: Native = pick();
