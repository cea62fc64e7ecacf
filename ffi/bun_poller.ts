/**
 * Bun's waiting thread for the POSIX backend. Bun's FFI has no call that runs off the JS thread, so
 * this worker makes the blocking poll(2) calls. The watch list is shared memory (ffi/bun.ts writes
 * it); a control eventfd wakes the worker when the list changes. Slot layout, in Int32 units from
 * index 2: [fd, wakeFd, id] per slot, id 0 meaning free. The worker frees a slot when it reports it.
 *
 * @module
 */
interface BunFfi {
  dlopen(path: string, defs: Record<string, { args: string[]; returns: string }>): { symbols: Record<string, (...args: unknown[]) => number> };
}
const ffi = (import.meta as unknown as { require(id: string): BunFfi }).require("bun:ffi");

interface Init {
  shared: SharedArrayBuffer;
  controlFd: number;
  slots: number;
  /** The C library's path: libc.so.6 or libSystem.B.dylib. */
  libc: string;
}

const scope = globalThis as unknown as { onmessage: ((e: { data: Init }) => void) | null; postMessage(ids: number[]): void };

scope.onmessage = (e) => {
  scope.onmessage = null;
  const { shared, controlFd, slots } = e.data;
  const libc = ffi.dlopen(e.data.libc, {
    poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
    read: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  }).symbols;
  const ctl = new Int32Array(shared);
  // struct pollfd[1 + 2 * slots]; allocated once, larger than 64 bytes.
  const fds = new Uint8Array(new ArrayBuffer(8 * (1 + 2 * slots)));
  const view = new DataView(fds.buffer);
  const ids: number[] = [];
  const drain = new Uint8Array(new ArrayBuffer(72)).subarray(0, 8);
  for (;;) {
    let n = 0;
    const add = (fd: number) => {
      view.setInt32(8 * n, fd, true);
      view.setInt16(8 * n + 4, 1, true); // POLLIN
      view.setInt16(8 * n + 6, 0, true);
      n++;
    };
    add(controlFd);
    ids.length = 0;
    for (let s = 0; s < slots; s++) {
      const id = Atomics.load(ctl, 2 + 3 * s + 2);
      if (id === 0) continue;
      add(Atomics.load(ctl, 2 + 3 * s));
      add(Atomics.load(ctl, 2 + 3 * s + 1));
      ids.push(s, id);
    }
    libc.poll(fds, n, -1);
    if (view.getInt16(6, true) !== 0) libc.read(controlFd, drain, 8);
    const ready: number[] = [];
    for (let k = 0; k < ids.length; k += 2) {
      const at = 8 * (1 + k);
      if (view.getInt16(at + 6, true) !== 0 || view.getInt16(at + 8 + 6, true) !== 0) {
        const [slot, id] = [ids[k], ids[k + 1]];
        // Free the slot only if it still holds this wait (the main thread never reuses a busy slot).
        if (Atomics.compareExchange(ctl, 2 + 3 * slot + 2, id, 0) === id) ready.push(id);
      }
    }
    if (ready.length > 0) scope.postMessage(ready);
  }
};
