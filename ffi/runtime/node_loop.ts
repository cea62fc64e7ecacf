/**
 * Node's wait of the POSIX event queue without a thread of its own: node:ffi's `getCurrentEventLoop()`
 * gives this thread's `uv_loop_t`, and the node binary exports libuv, so a `uv_poll_t` on the epoll
 * (kqueue) descriptor tells this thread, on its own event loop, when the queue has events; they are
 * then taken with a wait of 0. No worker: nothing to start, nothing to wake at exit, no `--allow-worker`
 * under the permission model, and the wait takes its turn in the event loop with Node's own I/O.
 *
 * The handle is referenced only while a wait is asked for, so an idle process exits.
 *
 * In a worker thread, `worker.terminate()` runs no JS, so two things are left to Node's own teardown:
 * - descriptors (the queue's, and each socket's once it has waited) are closed by environment cleanup
 *   hooks (ffi/runtime/node_thread_end.ts), so a terminated worker's ports are free again at once;
 * - the handle is marked as libuv's own (`UV_HANDLE_INTERNAL`), which `uv_loop_close` does not count:
 *   Node aborts a worker whose loop still has a handle open at its end. Its memory comes from `malloc`
 *   and is never freed, since libuv reads it after the worker's JS heap is gone;
 * - the teardown runs the loop again with JavaScript forbidden, and a node:ffi callback called then aborts
 *   the process: so in a worker (Linux x86-64) the poll's callback is native code that tells this thread
 *   through a pipe Node reads as a stream (./node_wake.ts), a handle Node closes before it runs the loop.
 *
 * @module
 */

import type { NodeWake, WakeStream } from "./node_wake.ts";

/** The parts of node:ffi this needs. */
export interface NodeLoopFfi {
  DynamicLibrary: new (path: string | null) => {
    getFunction(name: string, signature: { return: string; arguments: string[] }): (...args: unknown[]) => unknown;
    registerCallback(signature: { return: string; arguments: string[] }, fn: (...args: never[]) => void): bigint;
  };
  getCurrentEventLoop?(): bigint;
  getUint32(address: bigint, offset?: number): number;
  setUint32(address: bigint, offset: number, value: number): void;
}

/** libuv's `UV_POLL` in `uv_handle_type` (uv.h), and `UV_READABLE` in `uv_poll_event`. */
const UV_POLL = 8;
const UV_READABLE = 1;
/**
 * `uv_handle_t.flags` on 64-bit Unix (after data, loop, type, close_cb, handle_queue[2], u, next_closing),
 * and libuv's private flag bits (src/uv-common.h): a handle that is referenced, and one of libuv's own.
 */
const FLAGS_AT = 88;
const UV_HANDLE_REF = 0x8;
const UV_HANDLE_INTERNAL = 0x10;
interface Waiting {
  resolve(result: number): void;
  events: Uint8Array;
  max: number;
}

type Fn = (...a: unknown[]) => never;

/**
 * One queue watched on this thread's event loop.
 *
 * @example
 * ```ts ignore
 * const loop = new NodeLoopWait(ffi, "libc.so.6", false, (q, events, max) => epollWait(q, events, max, 0), (fd) => {});
 * const n = await loop.wait(epfd, events, 64);
 * ```
 */
export class NodeLoopWait {
  readonly #ffi: NodeLoopFfi;
  readonly #uv: Record<"poll_init" | "poll_start" | "poll_stop" | "ref" | "unref" | "malloc", Fn>;
  readonly #closeWithThread: (fd: number) => void;
  readonly #loop: bigint;
  #callback: bigint;
  /** The main program's symbols, for a node:ffi callback made later (the wake pipe failed). */
  readonly #self: InstanceType<NodeLoopFfi["DynamicLibrary"]>;
  readonly #take: (queue: number, events: Uint8Array, max: number) => number;
  readonly #inWorker: boolean;
  readonly #handleSize: number;
  /** The queue's uv_poll_t: malloc'd, never freed. */
  #handle = 0n;
  #queue = -1;
  #started = false;
  #waiting: Waiting | null = null;
  /** In a worker: the stream of the wake pipe, which holds the process while a wait runs (null: a JS callback). */
  #pipe: WakeStream | null = null;

  /**
   * `take` is epoll_wait (kevent) with a timeout of 0, on this thread; `inWorker`: not the main thread;
   * `wake`: the native callback and its pipe (./node_wake.ts), where it could be made, in a worker.
   */
  constructor(
    ffi: NodeLoopFfi,
    libc: string,
    inWorker: boolean,
    take: (queue: number, events: Uint8Array, max: number) => number,
    closeWithThread: (fd: number) => void,
    wake: NodeWake | null = null,
  ) {
    this.#closeWithThread = closeWithThread;
    this.#ffi = ffi;
    const self = new ffi.DynamicLibrary(null);
    const c = new ffi.DynamicLibrary(libc);
    const fn = (lib: typeof self, name: string, ret: string, args: string[]) =>
      lib.getFunction(name, { return: ret, arguments: args }) as Fn;
    this.#uv = {
      poll_init: fn(self, "uv_poll_init", "i32", ["pointer", "pointer", "i32"]),
      poll_start: fn(self, "uv_poll_start", "i32", ["pointer", "i32", "pointer"]),
      poll_stop: fn(self, "uv_poll_stop", "i32", ["pointer"]),
      ref: fn(self, "uv_ref", "void", ["pointer"]),
      unref: fn(self, "uv_unref", "void", ["pointer"]),
      malloc: fn(c, "malloc", "pointer", ["u64"]),
    };
    this.#handleSize = Number(fn(self, "uv_handle_size", "u64", ["i32"])(UV_POLL) as bigint);
    // Node 26.6 and later; before it the main thread's loop is libuv's default loop.
    this.#loop = ffi.getCurrentEventLoop?.() ?? (fn(self, "uv_default_loop", "pointer", [])() as bigint);
    this.#take = take;
    this.#inWorker = inWorker;
    this.#self = self;
    if (wake !== null) {
      this.#callback = wake.callback;
      const pipe = wake.stream;
      pipe.on("data", () => this.#woken());
      pipe.on("error", () => this.#pipeFailed());
      pipe.unref();
      this.#pipe = pipe;
    } else {
      this.#callback = this.#jsCallback();
    }
    // A wait that does not hold the process (DatagramConn.unref) may still be running when it exits: stop
    // watching before Node's teardown runs the loop again, where the callback could not run JS.
    (globalThis as { process?: { once?(event: "exit", fn: () => void): void } }).process?.once?.("exit", () => {
      if (!this.#started) return;
      this.#uv.poll_stop(this.#handle);
      this.#started = false;
    });
  }

  /** Resolves with the events taken from `queue` once it has some (or -1 when taking them failed). */
  wait(queue: number, events: Uint8Array, max: number): Promise<number> {
    if (this.#waiting) return Promise.reject(new Error("recvmsg: internal: a second wait while one runs"));
    if (queue !== this.#queue) {
      if (this.#queue !== -1) return Promise.reject(new Error("recvmsg: internal: a second event queue"));
      const error = this.#watch(queue);
      if (error) return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      if (!this.#started) {
        const rc = this.#uv.poll_start(this.#handle, UV_READABLE, this.#callback) as number;
        if (rc !== 0) return reject(new Error(`recvmsg: uv_poll_start failed (${rc})`));
        this.#started = true;
      }
      this.#waiting = { resolve, events, max };
      this.hold(true);
    });
  }

  /** Whether the running wait keeps the process alive (each wait starts so). */
  hold(on: boolean): void {
    if (!this.#waiting) return;
    // With the wake pipe, the pipe's stream holds the loop; the poll handle never does.
    if (this.#pipe !== null) {
      if (on) this.#pipe.ref();
      else this.#pipe.unref();
    } else if (on) this.#uv.ref(this.#handle);
    else this.#uv.unref(this.#handle);
  }

  /** Makes the uv_poll_t of `queue`. */
  #watch(queue: number): Error | null {
    const handle = this.#uv.malloc(BigInt(Math.max(this.#handleSize, 128))) as bigint;
    if (!handle) return new Error("recvmsg: no memory for the event loop's handle");
    const rc = this.#uv.poll_init(this.#loop, handle, queue) as number;
    if (rc !== 0) return new Error(`recvmsg: uv_poll_init failed (${rc})`);
    this.#handle = handle;
    this.#queue = queue;
    if (this.#inWorker) {
      const flags = this.#ffi.getUint32(handle, FLAGS_AT);
      // Only where the field is what libuv's layout says (a fresh handle is referenced, not internal).
      if ((flags & (UV_HANDLE_REF | UV_HANDLE_INTERNAL)) === UV_HANDLE_REF) {
        this.#ffi.setUint32(handle, FLAGS_AT, flags | UV_HANDLE_INTERNAL);
      }
    }
    // Marked first: the mark is made only on a fresh (referenced) handle.
    if (this.#pipe !== null) this.#uv.unref(handle);
    this.#closeWithThread(queue);
    return null;
  }

  /** The native callback saw the queue readable: it stopped the poll, then wrote to the pipe. */
  #woken(): void {
    this.#started = false;
    const w = this.#waiting;
    if (!w) return; // watched again by the next wait
    const n = this.#take(this.#queue, w.events, w.max);
    if (n === 0) {
      // Taken meanwhile (or a wake-up left over from an earlier wait): watch again.
      if (this.#uv.poll_start(this.#handle, UV_READABLE, this.#callback) === 0) this.#started = true;
      else this.#settle(w, -1);
      return;
    }
    this.#settle(w, n);
  }

  /** A node:ffi callback for the poll, as on the main thread. */
  #jsCallback(): bigint {
    return this.#self.registerCallback(
      { return: "void", arguments: ["pointer", "i32", "i32"] },
      (_handle: never, status: never) => this.#ready(status as number),
    );
  }

  /**
   * The pipe's stream failed (not seen; it would be a system's refusal): from now on the poll calls a
   * node:ffi callback, as on the main thread, and a running wait goes on under it.
   */
  #pipeFailed(): void {
    const pipe = this.#pipe;
    if (pipe === null) return;
    this.#pipe = null;
    pipe.unref();
    if (this.#started) this.#uv.poll_stop(this.#handle);
    this.#started = false;
    this.#callback = this.#jsCallback();
    const w = this.#waiting;
    if (w === null) return;
    this.#uv.ref(this.#handle);
    if (this.#uv.poll_start(this.#handle, UV_READABLE, this.#callback) === 0) this.#started = true;
    else {
      this.#waiting = null;
      this.#uv.unref(this.#handle);
      w.resolve(-1);
    }
  }

  /** Ends the running wait with `n` (from Node's own callback: promise reactions run after it). */
  #settle(w: Waiting, n: number): void {
    this.#waiting = null;
    this.#pipe?.unref();
    w.resolve(n);
  }

  /** libuv saw the queue readable (or failed to watch it: status < 0). */
  #ready(status: number): void {
    const w = this.#waiting;
    if (!w) {
      // Events while nobody waits: stop watching until the next wait (level-triggered: it would fire every turn).
      this.#uv.poll_stop(this.#handle);
      this.#started = false;
      return;
    }
    const n = status < 0 ? -1 : this.#take(this.#queue, w.events, w.max);
    if (n === 0) return;
    this.#waiting = null;
    // Left started and unreferenced: the next wait, usually in this turn, costs no system call.
    this.#uv.unref(this.#handle);
    // node:ffi calls this outside any callback scope of Node: promise reactions would wait for the next
    // JS that Node itself runs. An immediate runs in this same loop turn (check phase) and its scope runs them.
    setImmediate(w.resolve, n);
  }
}
