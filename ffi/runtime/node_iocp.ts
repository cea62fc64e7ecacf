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
const INFINITE = 0xffffffff;

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
  for (;;) {
    if (!get(port, entries, ENTRIES, removed, INFINITE, 0)) continue;
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
