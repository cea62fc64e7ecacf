/**
 * The helpers net_test.ts imports from Deno's tests/unit/test_util.ts, on node:assert (@std/assert lives
 * on JSR, which CI cannot reach). Only those the UDP tests call do anything; the rest say so if called.
 *
 * @module
 */
import nodeAssert from "node:assert";

/** Fails unless `expr` is truthy. */
export function assert(expr: unknown, msg = "assertion failed"): asserts expr {
  if (!expr) throw new Error(msg);
}

/** Deep equality, as @std/assert's. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) throw new Error(msg ?? `expected ${actual} >= ${expected}`);
}

/** `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) throw new Error(msg ?? `expected ${JSON.stringify(actual)} to contain ${expected}`);
}

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

/** `fn` throws an instance of `ErrorClass` (whose message includes `includes`, when given). */
export function assertThrows(fn: () => unknown, ErrorClass?: ErrorClass, includes?: string): Error {
  try {
    fn();
  } catch (e) {
    if (ErrorClass && !(e instanceof ErrorClass)) {
      throw new Error(`expected an instance of ${ErrorClass.name}, got ${String(e)}`);
    }
    if (includes && !(e as Error).message.includes(includes)) throw new Error(`message lacks ${includes}`);
    return e as Error;
  }
  throw new Error("expected the function to throw");
}

/** The promise `fn` returns rejects with an instance of `ErrorClass`. */
export async function assertRejects(fn: () => Promise<unknown>, ErrorClass?: ErrorClass, includes?: string) {
  try {
    await fn();
  } catch (e) {
    if (ErrorClass && !(e instanceof ErrorClass)) {
      throw new Error(`expected an instance of ${ErrorClass.name}, got ${String(e)}`);
    }
    if (includes && !(e as Error).message.includes(includes)) throw new Error(`message lacks ${includes}`);
    return e as Error;
  }
  throw new Error("expected the promise to reject");
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unused(name: string): never {
  throw new Error(`${name}: not used by the UDP tests, not provided here`);
}

/** Not used by the UDP tests. */
export const execCode = (): never => unused("execCode");
/** Not used by the UDP tests. */
export const execCode2 = (): never => unused("execCode2");
/** Not used by the UDP tests. */
export const execCode3 = (): never => unused("execCode3");
/** Not used by the UDP tests. */
export const tmpUnixSocketPath = (): never => unused("tmpUnixSocketPath");
