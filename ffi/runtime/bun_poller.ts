/**
 * Bun's waiting thread for the POSIX backend. bun:ffi has no call that runs off the JS thread, so
 * this worker makes the one blocking wait of the process's event queue (ffi/posix/poll_set.ts): it is
 * given the queue, the address of the events array and its length, waits without a timeout, and
 * answers with epoll_wait's (kevent's on macOS) result. The array belongs to the main thread, which
 * does not touch it until the answer. On Windows it waits on the thread's completion port
 * (GetQueuedCompletionStatusEx, ffi/runtime/win_completion.ts) and answers with the count removed.
 *
 * @module
 */
interface BunFfi {
  read: { u32(address: number): number };
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

let wait: ((queue: number, address: number, max: number, removed: number, ms: number) => number) | undefined;

scope.onmessage = (e) => {
  const data = e.data as { libc: string; darwin: boolean; windows?: boolean } | [
    number,
    number,
    number,
    number,
    number,
  ];
  if (!Array.isArray(data)) {
    if (data.windows) {
      // Windows (ffi/runtime/win_completion.ts): the completion port, its entries, their count's address, a time-out.
      const k = ffi.dlopen("kernel32.dll", {
        GetQueuedCompletionStatusEx: { args: ["u64", "ptr", "u32", "ptr", "u32", "i32"], returns: "i32" },
      }).symbols;
      wait = (port, address, max, removed, ms) =>
        k.GetQueuedCompletionStatusEx(port, address, max, removed, ms, 0) ? ffi.read.u32(removed) : 0;
    } else if (data.darwin) {
      const k = ffi.dlopen(data.libc, {
        kevent: { args: ["i32", "ptr", "i32", "ptr", "i32", "ptr"], returns: "i32" },
      }).symbols;
      wait = (queue, address, max) => k.kevent(queue, null, 0, address, max, null);
    } else {
      const l = ffi.dlopen(data.libc, { epoll_wait: { args: ["i32", "ptr", "i32", "i32"], returns: "i32" } }).symbols;
      wait = (queue, address, max) => l.epoll_wait(queue, address, max, -1);
    }
    return;
  }
  scope.postMessage(wait!(data[0], data[1], data[2], data[3], data[4]));
};
