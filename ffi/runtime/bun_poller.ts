/**
 * Bun's waiting thread for the POSIX backend. Bun's FFI has no call that runs off the JS thread, so
 * this worker makes the one blocking poll(2) of the process's poll set (ffi/posix/poll_set.ts): it is given
 * the address of the set's `struct pollfd` array and its length, polls without a timeout, and answers
 * with poll's result. The array belongs to the main thread, which does not touch it until the answer.
 *
 * @module
 */
interface BunFfi {
  dlopen(
    path: string,
    defs: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => number> };
}
const ffi = (import.meta as unknown as { require(id: string): BunFfi }).require("bun:ffi");

const scope = globalThis as unknown as {
  onmessage: ((e: { data: unknown }) => void) | null;
  postMessage(result: number): void;
};

let poll: ((address: number, n: number, timeout: number) => number) | undefined;

scope.onmessage = (e) => {
  const data = e.data as { libc: string } | [number, number];
  if (!Array.isArray(data)) {
    const libc = ffi.dlopen(data.libc, { poll: { args: ["ptr", "u64", "i32"], returns: "i32" } }).symbols;
    poll = libc.poll as typeof poll;
    return;
  }
  scope.postMessage(poll!(data[0], data[1], -1));
};
