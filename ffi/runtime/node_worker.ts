/**
 * What Node's worker thread needs (ffi/runtime/node_iocp.ts, Windows only: on Linux and macOS Node waits on
 * its own event loop, ffi/runtime/node_loop.ts): the port to the main thread, node:ffi, and node:ffi's
 * experimental warning kept quiet, since the main thread has already shown it (or been told to hide it).
 *
 * @module
 */
const nodeProcess = (globalThis as unknown as {
  process: { getBuiltinModule(id: string): unknown; emitWarning(w: unknown, ...r: unknown[]): void };
}).process;
const emitWarning = nodeProcess.emitWarning;
nodeProcess.emitWarning = (w: unknown, ...rest: unknown[]) => {
  if (/FFI is an experimental feature/.test(String((w as { message?: string })?.message ?? w))) return;
  emitWarning.call(nodeProcess, w, ...rest);
};

/** The worker's port to the main thread. */
export const parentPort = (nodeProcess.getBuiltinModule("node:worker_threads") as {
  parentPort: {
    on(event: "message", fn: (m: never) => void): void;
    once(event: "message", fn: (m: never) => void): void;
    postMessage(m: unknown): void;
  };
}).parentPort;

/** node:ffi, as the workers use it. */
export const ffi = nodeProcess.getBuiltinModule("node:ffi") as {
  DynamicLibrary: new (
    path: string,
  ) => { getFunction(name: string, s: { return: string; arguments: string[] }): (...a: unknown[]) => number };
};
