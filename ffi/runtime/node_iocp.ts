/**
 * Node's completion worker on Windows (see ffi/runtime/node_windows.ts): node:ffi callbacks must run on the
 * thread that made them, so thread-pool waits post to an I/O completion port instead, and this worker
 * blocks in GetQueuedCompletionStatusEx and passes each (context, flag) it removes to the main thread.
 * Its first message gives the port and OVERLAPPED_ENTRY's layout (from structs/windows.ts, proven
 * against mingw) and the key that ends it.
 *
 * @module
 */
import { ffi, parentPort } from "./node_worker.ts";

const ENTRIES = 64;
/**
 * How long one wait for completions lasts before it is made again. Node joins a worker's own workers when
 * it terminates that worker (and all workers at process.exit()), and a thread blocked in this call hears
 * nothing of it: the join, and so `terminate()` or the exit, waited for the call to return — with no limit,
 * for ever. So the limit bounds them: 200 ms, at the cost of five empty wake-ups a second while sockets wait.
 */
const WAIT_MS = 200;
/** Failed waits in a row, each returning at once, taken as the port's end. */
const REFUSALS = 100;

parentPort.once("message", ([port, size, keyAt, bytesAt, stop]: [bigint, number, number, number, number]) => {
  const get = new ffi.DynamicLibrary("kernel32.dll").getFunction("GetQueuedCompletionStatusEx", {
    return: "i32",
    arguments: ["u64", "pointer", "u32", "pointer", "u32", "i32"],
  });
  // Both larger than 64 bytes: memory the call writes that does not move.
  const entries = new Uint8Array(new ArrayBuffer(ENTRIES * size));
  const removed = new Uint8Array(new ArrayBuffer(128));
  const e = new DataView(entries.buffer);
  const r = new DataView(removed.buffer);
  let refused = 0;
  for (;;) {
    const began = performance.now();
    if (!get(port, entries, ENTRIES, removed, WAIT_MS, 0)) {
      // A wait that ran its time removed nothing. One that failed at once, again and again, means the port
      // is gone: not a spin, but the worker's failure, which the main thread reports to the waiting
      // receives (the next wait starts another worker). GetLastError is not asked: the runtime may have
      // made calls of its own since.
      refused = performance.now() - began < WAIT_MS / 4 ? refused + 1 : 0;
      if (refused === REFUSALS) throw new Error(`GetQueuedCompletionStatusEx failed ${REFUSALS} times at once`);
      continue;
    }
    refused = 0;
    const n = r.getUint32(0, true);
    const pairs: number[] = [];
    let done = false;
    for (let i = 0; i < n; i++) {
      const key = Number(e.getBigUint64(i * size + keyAt, true));
      if (key === stop) done = true;
      else pairs.push(key, e.getUint32(i * size + bytesAt, true));
    }
    if (pairs.length > 0) parentPort.postMessage(pairs);
    if (done) return;
  }
});
