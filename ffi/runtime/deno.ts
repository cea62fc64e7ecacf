/**
 * The Deno adapter: `Deno.dlopen`, `Deno.UnsafeFnPointer`, and `nonblocking` calls on Deno's blocking pool
 * for the waits (epoll_wait / kevent; GetQueuedCompletionStatusEx on Windows, ffi/runtime/win_completion.ts).
 *
 * @module
 */
import { EPOLL, KQUEUE, libcPath } from "../tables/libc.ts";
import type {
  Bound,
  CallbackPointer,
  Native,
  NativeFn,
  NativeType,
  PinnedBuffer,
  SymbolDef,
  SymbolTable,
  ThreadSafeCallback,
} from "../types.ts";
import { closeWithThreadEnd, lastingMemory, unmapWithThreadEnd } from "./posix_thread_end.ts";
import { KERNEL32_COMPLETIONS } from "../tables/windows.ts";
import {
  COMPLETION_WAIT_MS,
  completionCallback,
  type CompletionWait,
  type ThunkPages,
  thunkPages,
} from "./win_completion.ts";

/** This thread's descriptors closed when it ends (Linux and Windows x86-64); null where that cannot be, undefined before the first. */

const TYPES: Record<NativeType, Deno.NativeResultType> = {
  void: "void",
  i32: "i32",
  u32: "u32",
  u16: "u16",
  u8: "u8",
  isize: "isize",
  handle: "usize",
  buffer: "buffer",
  function: "function",
};

function declare(def: SymbolDef, nonblocking = false): Deno.ForeignFunction {
  return {
    parameters: def.parameters.map((p) => TYPES[p] as Deno.NativeType),
    result: TYPES[def.result],
    nonblocking,
  };
}

/** Deno gives 64-bit results as number or bigint depending on size; above the adapter handles are bigint, sizes numbers. */
function normalize(def: SymbolDef, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  if (def.result === "handle") return (...args) => BigInt(fn(...args) as number | bigint);
  if (def.result === "isize") return (...args) => Number(fn(...args) as number | bigint);
  return fn;
}

/**
 * The longest one wait of Deno's lasts before it is made again (it returns 0 events). A terminated worker's
 * queue is told to return at once (ffi/runtime/posix_thread_end.ts), but if the descriptors are closed
 * before the waiting thread ran, the kernel takes the wake-up back and only this limit ends the wait: the
 * blocking-pool thread then returns within 10 s instead of never. A wake-up every 10 s costs nothing.
 */
const WAIT_LIMIT_MS = 10_000;

/** The wait of the event queue on Deno's blocking thread pool: a pending call keeps the process alive. */
let waiter: ((queue: number, events: Uint8Array, max: number) => Promise<number>) | undefined;

function makeWaiter(os: string): NonNullable<typeof waiter> {
  const path = libcPath(os);
  if (os === "darwin") {
    const k = Deno.dlopen(path, { kevent: declare(KQUEUE.kevent, true) }).symbols;
    return (queue, events, max) =>
      k.kevent(queue, null, 0, events as Uint8Array<ArrayBuffer>, max, null) as Promise<number>;
  }
  const e = Deno.dlopen(path, { epoll_wait: declare(EPOLL.epoll_wait, true) }).symbols;
  return (queue, events, max) =>
    e.epoll_wait(queue, events as Uint8Array<ArrayBuffer>, max, WAIT_LIMIT_MS) as Promise<number>;
}

/** Windows: this thread's thunk pages (ffi/runtime/win_completion.ts), made at the first callback. */
let windowsPages: ThunkPages | undefined;

/**
 * Windows: the wait for completions, a nonblocking call of GetQueuedCompletionStatusEx on Deno's blocking
 * pool (as epoll_wait on Linux), ref'd and unref'd like it.
 */
function denoCompletionWait(): CompletionWait {
  const k = Deno.dlopen("kernel32.dll", {
    GetQueuedCompletionStatusEx: declare(KERNEL32_COMPLETIONS.GetQueuedCompletionStatusEx, true),
  }).symbols;
  let current: Promise<unknown> | null = null;
  return {
    wait(port, entries, max, removed) {
      const p = k.GetQueuedCompletionStatusEx(
        port,
        entries as Uint8Array<ArrayBuffer>,
        max,
        removed as Uint8Array<ArrayBuffer>,
        COMPLETION_WAIT_MS,
        0,
      ) as Promise<number>;
      current = p;
      return p.then((ok) => {
        if (current === p) current = null;
        return ok ? new DataView(removed.buffer, removed.byteOffset, 4).getUint32(0, true) : 0;
      });
    },
    hold(on) {
      if (current === null) return;
      const refs = opRefs();
      if (on) refs?.refOpPromise(current);
      else refs?.unrefOpPromise(current);
    },
  };
}

/** The running wait's promise (an op of Deno's), until it settles. */
let running: Promise<number> | null = null;

/**
 * Deno's own ref/unref of a pending op (what `Deno.Listener.unref` uses), reached through `Deno.internal`:
 * no public call unrefs a nonblocking FFI call. Null where it is missing: waits then always hold the process.
 */
function opRefs(): { refOpPromise(p: Promise<unknown>): void; unrefOpPromise(p: Promise<unknown>): void } | null {
  const d = Deno as unknown as Record<symbol, { core?: Record<string, unknown> } | undefined> & { internal?: symbol };
  const core = d.internal === undefined ? undefined : d[d.internal]?.core;
  return typeof core?.refOpPromise === "function" && typeof core.unrefOpPromise === "function"
    ? core as unknown as ReturnType<typeof opRefs>
    : null;
}

/**
 * The Deno implementation of {@link Native}. Its body touches `Deno` only when called, so that every runtime
 * can load this module (ffi/native.ts imports every adapter statically: no top-level await).
 *
 * @example
 * ```ts ignore
 * const native = denoNative();
 * console.log(native.os); // "linux"
 * ```
 */
export function denoNative(): Native {
  return {
    runtime: "deno",
    os: Deno.build.os,
    arch: Deno.build.arch,
    poolCopies: true,
    open<T extends SymbolTable>(library: string, table: T): Bound<T> {
      const decl: Record<string, Deno.ForeignFunction> = {};
      for (const [name, def] of Object.entries(table)) decl[name] = declare(def);
      const lib = Deno.dlopen(library, decl);
      const out: Record<string, unknown> = {};
      for (const [name, def] of Object.entries(table)) {
        out[name] = normalize(def, lib.symbols[name] as (...args: unknown[]) => unknown);
      }
      return out as Bound<T>;
    },
    fromAddress<D extends SymbolDef>(address: bigint, def: D): NativeFn<D> {
      const fp = new Deno.UnsafeFnPointer(Deno.UnsafePointer.create(address)!, declare(def));
      return normalize(def, fp.call.bind(fp) as (...args: unknown[]) => unknown) as NativeFn<D>;
    },
    pin(view: Uint8Array): PinnedBuffer {
      // Deno's fast call takes the view's address itself.
      return view as unknown as PinnedBuffer;
    },
    addressOf(view: Uint8Array): number {
      return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>)));
    },
    threadSafeCallback(fn: (context: number, flag: number) => void): ThreadSafeCallback {
      // Windows only (its thread-pool waits). No JS callback a pool thread could call after this isolate is
      // gone (a terminated worker): the posting thunk and a wait on the completion port (win_completion.ts).
      if (Deno.build.os !== "windows") throw new Error("recvmsg: internal: cross-thread callbacks are Windows'");
      windowsPages ??= thunkPages(this.open, this.viewBytes);
      const cb = completionCallback(windowsPages, this.viewBytes, denoCompletionWait(), fn);
      // A "function" argument is a pointer object in Deno.
      const pointer = Deno.UnsafePointer.create(cb.pointer as unknown as bigint) as unknown as CallbackPointer;
      return { ...cb, pointer };
    },
    readBytes(address: bigint, length: number): Uint8Array {
      return new Uint8Array(new Deno.UnsafePointerView(Deno.UnsafePointer.create(address)!).getArrayBuffer(length))
        .slice();
    },
    closeWithThread(fd: number | bigint, on: boolean, wake?: boolean): void {
      closeWithThreadEnd(this, fd, on, wake);
    },
    unmapWithThread(address: bigint, size: number, on: boolean): void {
      unmapWithThreadEnd(this, address, size, on);
    },
    waitMemory(bytes: number): Uint8Array {
      return lastingMemory(this.open, this.viewBytes, this.os, bytes);
    },
    viewBytes(address: bigint, length: number): Uint8Array {
      return new Uint8Array(new Deno.UnsafePointerView(Deno.UnsafePointer.create(address)!).getArrayBuffer(length));
    },
    int32At(address: bigint): () => number {
      const view = new Deno.UnsafePointerView(Deno.UnsafePointer.create(address)!);
      return () => view.getInt32();
    },
    waitQueue(queue: number, events: Uint8Array, max: number): Promise<number> {
      // One nonblocking call: one thread of Deno's blocking pool, whatever the number of sockets.
      const p = (waiter ??= makeWaiter(Deno.build.os))(queue, events, max);
      running = p;
      const done = () => {
        if (running === p) running = null;
      };
      p.then(done, done);
      return p;
    },
    holdWait(on: boolean): void {
      if (running === null) return;
      const refs = opRefs();
      if (on) refs?.refOpPromise(running);
      else refs?.unrefOpPromise(running);
    },
  };
}
