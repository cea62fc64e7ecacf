/**
 * The Bun adapter: `bun:ffi` `dlopen`, `CFunction`, and one waiting worker (`bun_poller.ts`) for the waits
 * (epoll_wait / kevent; GetQueuedCompletionStatusEx on Windows, ffi/runtime/win_completion.ts).
 *
 * `bun:ffi` is loaded with `import.meta.require` rather than an import statement so that Deno's
 * type checker and JSR never have to resolve a `bun:` specifier; its few types are declared here.
 *
 * @module
 */
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
import { findWorker, PollRunner, type PollWorker } from "./poll_runner.ts";
import { closeWithThreadEnd, lastingMemory, unmapWithThreadEnd } from "./posix_thread_end.ts";
import { COMPLETION_WAIT_MS, completionCallback, type ThunkPages, thunkPages } from "./win_completion.ts";

/** Windows: this thread's thunk pages (ffi/runtime/win_completion.ts), made at the first callback. */
let windowsPages: ThunkPages | undefined;

/** This thread's descriptors closed when it ends (Linux and Windows x86-64); null where that cannot be, undefined before the first. */

type BunType = "void" | "i32" | "u32" | "u16" | "u8" | "u64" | "i64_fast" | "ptr" | "function";
interface BunDef {
  args: BunType[];
  returns: BunType;
}
interface BunFfi {
  dlopen(path: string, defs: Record<string, BunDef>): { symbols: Record<string, (...args: unknown[]) => unknown> };
  CFunction(def: BunDef & { ptr: number | bigint }): (...args: unknown[]) => unknown;
  ptr(view: ArrayBufferView): number;
  read: { i32(address: number, offset?: number): number };
  toArrayBuffer(address: number, offset: number, length: number): ArrayBuffer;
}
interface BunGlobal {
  platform?: string;
  arch?: string;
}

/** bun:ffi, loaded on first use: this module is loaded on every runtime (see ffi/native.ts). */
let ffiModule: BunFfi | undefined;
const bunFfi = () => ffiModule ??= (import.meta as unknown as { require(id: string): BunFfi }).require("bun:ffi");

const TYPES: Record<NativeType, BunType> = {
  void: "void",
  i32: "i32",
  u32: "u32",
  u16: "u16",
  u8: "u8",
  isize: "i64_fast",
  handle: "u64",
  buffer: "ptr",
  function: "function",
};

function declare(def: SymbolDef): BunDef {
  return { args: def.parameters.map((p) => TYPES[p]), returns: TYPES[def.result] };
}

/** `u64` results are bigint in Bun already; normalize anyway so a change of Bun's rules cannot leak a number. */
function normalize(def: SymbolDef, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  if (def.result === "handle") return (...args) => BigInt(fn(...args) as number | bigint);
  if (def.result === "isize") return (...args) => Number(fn(...args) as number | bigint);
  return fn;
}

/**
 * The waiting worker (ffi/runtime/bun_poller.ts): bun:ffi has no call that runs off the JS thread, so one
 * worker makes the blocking wait of the event queue for the whole process. It is referenced only while
 * a wait runs. A worker that fails to start or dies rejects the running wait; the next wait starts another.
 */
let poller: PollRunner | undefined;

function makePoller(os: string): PollRunner {
  type BunWorker = PollWorker & {
    onmessage: ((e: { data: number }) => void) | null;
    onerror: ((e: unknown) => void) | null;
    addEventListener(type: "close", fn: () => void): void;
  };
  const Worker = (globalThis as unknown as { Worker: new (url: string) => BunWorker }).Worker;
  const runner: PollRunner = new PollRunner(() => {
    // The worker is a file beside this one (.ts in a checkout or from JSR, .js in the npm package), or where a
    // bundler put it; findWorker says what to do when it is neither.
    const fs = (import.meta as unknown as { require(id: string): { existsSync(u: URL): boolean } }).require("node:fs");
    const worker = new Worker(findWorker("bun_poller", import.meta.url, fs.existsSync).href);
    worker.unref();
    worker.onmessage = (e) => runner.answer(e.data);
    worker.onerror = (e) => runner.fail((e as { error?: unknown })?.error ?? (e as { message?: string })?.message ?? e);
    worker.postMessage({
      libc: os === "darwin" ? "libSystem.B.dylib" : "libc.so.6",
      darwin: os === "darwin",
      windows: os === "windows",
    });
    return worker;
  });
  return runner;
}

const OS: Record<string, string> = { win32: "windows", linux: "linux", darwin: "darwin" };

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

/**
 * The Bun implementation of {@link Native}. `bun:ffi` is reached only when called, so that every runtime
 * can load this module (ffi/native.ts imports every adapter statically: no top-level await).
 *
 * @example
 * ```ts ignore
 * const native = bunNative();
 * console.log(native.os); // "linux"
 * ```
 */
export function bunNative(): Native {
  const bunProcess = (globalThis as unknown as { process: BunGlobal }).process;
  const ffi = bunFfi();
  const os = OS[bunProcess.platform ?? ""] ?? String(bunProcess.platform);
  return {
    runtime: "bun",
    os,
    arch: ARCH[bunProcess.arch ?? ""] ?? String(bunProcess.arch),
    poolCopies: false,
    open<T extends SymbolTable>(library: string, table: T): Bound<T> {
      const decl: Record<string, BunDef> = {};
      for (const [name, def] of Object.entries(table)) decl[name] = declare(def);
      const lib = ffi.dlopen(library, decl);
      const out: Record<string, unknown> = {};
      for (const [name, def] of Object.entries(table)) out[name] = normalize(def, lib.symbols[name]);
      return out as Bound<T>;
    },
    fromAddress<D extends SymbolDef>(address: bigint, def: D): NativeFn<D> {
      return normalize(def, ffi.CFunction({ ...declare(def), ptr: address })) as NativeFn<D>;
    },
    pin(view: Uint8Array): PinnedBuffer {
      // Bun's compiled call reads a typed array's address itself, as fast as a number.
      return view as unknown as PinnedBuffer;
    },
    addressOf(view: Uint8Array): number {
      return ffi.ptr(view);
    },
    threadSafeCallback(fn: (context: number, flag: number) => void): ThreadSafeCallback {
      // Windows only (its thread-pool waits). No JS callback a pool thread could call after this isolate is
      // gone (a terminated worker): the posting thunk, and the waiting worker waits on the completion port.
      if (os !== "windows") throw new Error("recvmsg: internal: cross-thread callbacks are Windows'");
      windowsPages ??= thunkPages(this.open, this.viewBytes);
      const runner = poller ??= makePoller(os);
      const wait = {
        wait: (port: bigint, entries: Uint8Array, max: number, removed: Uint8Array) =>
          runner.wait([Number(port), ffi.ptr(entries), max, ffi.ptr(removed), COMPLETION_WAIT_MS]),
        hold: (on: boolean) => runner.hold(on),
      };
      const cb = completionCallback(windowsPages, this.viewBytes, wait, fn);
      // A "function" argument is a number in bun:ffi.
      return { ...cb, pointer: Number(cb.pointer as unknown as bigint) as unknown as CallbackPointer };
    },
    readBytes(address: bigint, length: number): Uint8Array {
      return new Uint8Array(ffi.toArrayBuffer(Number(address), 0, length)).slice();
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
      return new Uint8Array(ffi.toArrayBuffer(Number(address), 0, length));
    },
    int32At(address: bigint): () => number {
      const at = Number(address);
      return () => ffi.read.i32(at);
    },
    waitQueue(queue: number, events: Uint8Array, max: number): Promise<number> {
      // The worker waits with this address; the array does not move and is not touched until it answers.
      return (poller ??= makePoller(os)).wait([queue, ffi.ptr(events), max]);
    },
    holdWait(on: boolean): void {
      poller?.hold(on);
    },
  };
}
