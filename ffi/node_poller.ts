/**
 * Node's waiting thread for the POSIX backend (see ffi/bun_poller.ts for Bun's): node:ffi has no call
 * that runs off the JS thread, so this worker makes the one blocking poll(2) of the process's poll set
 * (ffi/poll_set.ts). It is given the address of the set's `struct pollfd` array and its length, polls
 * without a timeout, and answers with poll's result. The array belongs to the main thread, which does
 * not touch it until the answer.
 *
 * @module
 */
interface Port {
  on(event: "message", fn: (m: [bigint, number, string]) => void): void;
  postMessage(result: number): void;
}
const nodeProcess = (globalThis as unknown as { process: { getBuiltinModule(id: string): unknown; emitWarning(w: unknown, ...r: unknown[]): void } }).process;
// The main thread has already shown (or been told to hide) node:ffi's experimental warning: not twice.
const emitWarning = nodeProcess.emitWarning;
nodeProcess.emitWarning = (w: unknown, ...rest: unknown[]) => {
  if (/FFI is an experimental feature/.test(String((w as { message?: string })?.message ?? w))) return;
  emitWarning.call(nodeProcess, w, ...rest);
};
const { parentPort } = nodeProcess.getBuiltinModule("node:worker_threads") as { parentPort: Port };
const ffi = nodeProcess.getBuiltinModule("node:ffi") as {
  DynamicLibrary: new (path: string) => { getFunction(name: string, s: { return: string; arguments: string[] }): (...a: unknown[]) => number };
};

let poll: ((address: bigint, n: bigint, timeout: number) => number) | undefined;

parentPort.on("message", ([address, n, libc]) => {
  poll ??= new ffi.DynamicLibrary(libc).getFunction("poll", { return: "i32", arguments: ["pointer", "u64", "i32"] }) as unknown as NonNullable<typeof poll>;
  parentPort.postMessage(poll!(address, BigInt(n), -1));
});
