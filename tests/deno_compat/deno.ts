/**
 * `Deno` for the vendored Deno tests: the runtime's own namespace, with `listenDatagram` replaced by this
 * module's. The tests import it as `import * as Deno from "./deno.ts"`, their only change.
 *
 * @module
 */
import { listenDatagram as ours } from "../../mod.ts";

const runtime = (globalThis as unknown as { Deno: typeof globalThis.Deno }).Deno;

/**
 * `Deno.test`, less each test's `permissions`: the tests ask for `{ net: true }`, which leaves out the ffi
 * this module needs (every pointer it takes checks it), so each runs with the runner's `-A`.
 */
export const test = ((a: unknown, b?: unknown) => {
  if (typeof a === "object" && a !== null && "permissions" in a) {
    const { permissions: _, ...rest } = a as Record<string, unknown>;
    const name = typeof b === "function" ? b.name : "";
    a = name in DIFFERENT ? { ...rest, ignore: true } : rest;
  }
  return (runtime.test as (a: unknown, b?: unknown) => void)(a, b);
}) as typeof runtime.test;

/**
 * The tests that meet a difference kept on purpose (README.md says why): reported as ignored. The test
 * still runs if its entry is removed here.
 */
const DIFFERENT: Record<string, string> = {
  netUdpSendReceiveTestSizeLimits:
    "matches the error's message against Deno's `... (os error 90)`; a SocketError's message is `sendmsg failed with EMSGSIZE (90): <sentence>` (code and errno are properties).",
};
/** `Deno.errors`. */
export const errors: typeof runtime.errors = runtime.errors;
/** `Deno.build`. */
export const build: typeof runtime.build = runtime.build;
/** `Deno.env`. */
export const env: typeof runtime.env = runtime.env;
/** This module's `listenDatagram` where the tests call `Deno.listenDatagram`. */
export const listenDatagram: typeof ours = ours;
