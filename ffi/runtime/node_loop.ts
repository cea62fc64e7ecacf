/**
 * Node's wait of the POSIX event queue without a thread of its own: node:ffi's `getCurrentEventLoop()`
 * gives this thread's `uv_loop_t`, and the node binary exports libuv, so a `uv_poll_t` on the epoll
 * (kqueue) descriptor tells this thread, on its own event loop, when the queue has events; they are
 * then taken with a wait of 0. No worker: nothing to start, nothing to wake at exit, no `--allow-worker`
 * under the permission model, and the wait takes its turn in the event loop with Node's own I/O.
 *
 * The handle is referenced only while a wait is asked for, so an idle process exits.
 *
 * @module
 */

/** The parts of node:ffi this needs. */
export interface NodeLoopFfi {
  DynamicLibrary: new (path: string | null) => {
    getFunction(name: string, signature: { return: string; arguments: string[] }): (...args: unknown[]) => unknown;
    registerCallback(signature: { return: string; arguments: string[] }, fn: (...args: never[]) => void): bigint;
  };
  getCurrentEventLoop?(): bigint;
}

/** libuv's `UV_POLL` in `uv_handle_type` (uv.h), and `UV_READABLE` in `uv_poll_event`. */
const UV_POLL = 8;
const UV_READABLE = 1;

interface Waiting {
  resolve(result: number): void;
  events: Uint8Array;
  max: number;
}

/**
 * One queue watched on this thread's event loop.
 *
 * @example
 * ```ts ignore
 * const loop = new NodeLoopWait(ffi, (q, events, max) => epollWait(q, events, max, 0));
 * const n = await loop.wait(epfd, events, 64);
 * ```
 */
export class NodeLoopWait {
  readonly #uv: {
    poll_init(loop: bigint, handle: Uint8Array, fd: number): number;
    poll_start(handle: Uint8Array, events: number, cb: bigint): number;
    poll_stop(handle: Uint8Array): number;
    ref(handle: Uint8Array): void;
    unref(handle: Uint8Array): void;
  };
  readonly #loop: bigint;
  readonly #callback: bigint;
  readonly #take: (queue: number, events: Uint8Array, max: number) => number;
  /** Each queue's uv_poll_t (one per thread in practice): memory that never moves, and is never freed. */
  readonly #handles = new Map<number, { handle: Uint8Array; started: boolean }>();
  #waiting: Waiting | null = null;
  #queue = -1;
  readonly #handleSize: number;

  /** `take` is epoll_wait (kevent) with a timeout of 0, on this thread. */
  constructor(ffi: NodeLoopFfi, take: (queue: number, events: Uint8Array, max: number) => number) {
    const self = new ffi.DynamicLibrary(null);
    const fn = (name: string, ret: string, args: string[]) =>
      self.getFunction(name, { return: ret, arguments: args }) as (...a: unknown[]) => never;
    this.#uv = {
      poll_init: fn("uv_poll_init", "i32", ["pointer", "pointer", "i32"]),
      poll_start: fn("uv_poll_start", "i32", ["pointer", "i32", "pointer"]),
      poll_stop: fn("uv_poll_stop", "i32", ["pointer"]),
      ref: fn("uv_ref", "void", ["pointer"]),
      unref: fn("uv_unref", "void", ["pointer"]),
    };
    this.#handleSize = Number(fn("uv_handle_size", "u64", ["i32"])(UV_POLL) as bigint);
    // Node 26.6 and later; before it the main thread's loop is libuv's default loop.
    this.#loop = ffi.getCurrentEventLoop?.() ?? (fn("uv_default_loop", "pointer", [])() as bigint);
    this.#take = take;
    this.#callback = self.registerCallback(
      { return: "void", arguments: ["pointer", "i32", "i32"] },
      (_handle: never, status: never) => this.#ready(status as number),
    );
  }

  /** Resolves with the events taken from `queue` once it has some (or -1 when taking them failed). */
  wait(queue: number, events: Uint8Array, max: number): Promise<number> {
    if (this.#waiting) return Promise.reject(new Error("recvmsg: internal: a second wait while one runs"));
    let h = this.#handles.get(queue);
    if (!h) {
      // Larger than 64 bytes: never on V8's moving heap; libuv keeps this address until the loop ends.
      const handle = new Uint8Array(new ArrayBuffer(Math.max(this.#handleSize, 128)));
      const rc = this.#uv.poll_init(this.#loop, handle, queue);
      if (rc !== 0) return Promise.reject(new Error(`recvmsg: uv_poll_init failed (${rc})`));
      this.#handles.set(queue, h = { handle, started: false });
    }
    this.#queue = queue;
    return new Promise((resolve) => {
      this.#waiting = { resolve, events, max };
      if (!h.started) {
        const rc = this.#uv.poll_start(h.handle, UV_READABLE, this.#callback);
        if (rc !== 0) {
          this.#waiting = null;
          throw new Error(`recvmsg: uv_poll_start failed (${rc})`);
        }
        h.started = true;
      }
      this.#uv.ref(h.handle);
    });
  }

  /** libuv saw the queue readable (or failed to watch it: status < 0). */
  #ready(status: number): void {
    const h = this.#handles.get(this.#queue)!;
    const w = this.#waiting;
    if (!w) {
      // Events while nobody waits: stop watching until the next wait (level-triggered: it would fire every turn).
      this.#uv.poll_stop(h.handle);
      h.started = false;
      return;
    }
    const n = status < 0 ? -1 : this.#take(this.#queue, w.events, w.max);
    if (n === 0) return;
    this.#waiting = null;
    // Left started and unreferenced: the next wait, usually in this turn, costs no system call.
    this.#uv.unref(h.handle);
    // node:ffi calls this outside any callback scope of Node: promise reactions would wait for the next
    // JS that Node itself runs. An immediate runs in this same loop turn (check phase) and its scope runs them.
    setImmediate(w.resolve, n);
  }
}
