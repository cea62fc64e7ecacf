/**
 * Picks the adapter of the runtime this module runs on. The only place that asks.
 *
 * @module
 */
import type { Native } from "./types.ts";

async function load(): Promise<Native> {
  if ("Deno" in globalThis) return (await import("./deno.ts")).native;
  if ("Bun" in globalThis) return (await import("./bun.ts")).native;
  throw new Error(
    "recvmsg runs on Deno (--allow-ffi) and Bun; this runtime has neither Deno.dlopen nor bun:ffi. " +
      "Run it with `bun` or `deno run --allow-ffi`, or `bunx recvmsg` for the command-line listener.",
  );
}

/**
 * The adapter for the current runtime.
 *
 * @example
 * ```ts
 * import { native } from "./native.ts";
 * console.log(native.runtime, native.os); // "deno" "windows"
 * ```
 */
export const native: Native = await load();
