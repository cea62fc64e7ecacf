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

/**
 * The runtime and its version as a user would name them (`Deno/2.9.5`, `Bun/1.4.5`, `Node.js/26.10.0`):
 * for `recvmsg --version`, which says which runtime ran the command.
 *
 * @example
 * ```ts
 * import { runtimeVersion } from "./native.ts";
 * console.log(runtimeVersion()); // "Node.js/26.10.0"
 * ```
 */
export function runtimeVersion(): string {
  const g = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
    process?: { versions?: { node?: string } };
  };
  if (g.Deno) return `Deno/${g.Deno.version.deno}`;
  if (g.Bun) return `Bun/${g.Bun.version}`;
  return `Node.js/${g.process?.versions?.node ?? "?"}`;
}
