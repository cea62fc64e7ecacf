/**
 * The Bun adapter: `bun:ffi` `dlopen`, `CFunction`, `JSCallback` with `threadsafe: true`.
 *
 * `bun:ffi` is loaded with `import.meta.require` rather than an import statement so that Deno's
 * type checker and JSR never have to resolve a `bun:` specifier; its few types are declared here.
 *
 * @module
 */
import type { Bound, CallbackPointer, Native, NativeFn, NativeType, SymbolDef, SymbolTable, ThreadSafeCallback } from "./types.ts";

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
  JSCallback: new (
    fn: (...args: unknown[]) => void,
    def: BunDef & { threadsafe: boolean },
  ) => { ptr: number | null; close(): void };
}
interface BunGlobal {
  platform?: string;
}

const ffi = (import.meta as unknown as { require(id: string): BunFfi }).require("bun:ffi");
const bunProcess = (globalThis as unknown as { process: BunGlobal }).process;

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

/** The poller worker (ffi/bun_poller.ts) and its shared watch list. */
interface Poller {
  worker: { postMessage(m: unknown): void; ref(): void; unref(): void; onmessage: ((e: { data: number[] }) => void) | null };
  ctl: Int32Array;
  wake: () => void;
  waits: Map<number, () => void>;
  nextId: number;
}
const SLOTS = 4096;
let poller: Poller | undefined;

function startPoller(): Poller {
  const os = native.os;
  const path = os === "darwin" ? "libSystem.B.dylib" : "libc.so.6";
  const libc = ffi.dlopen(path, {
    ...(os === "darwin" ? { pipe: { args: ["ptr"], returns: "i32" } } : { eventfd: { args: ["u32", "i32"], returns: "i32" } }),
    write: { args: ["i32", "ptr", "u64"], returns: "i64_fast" },
  }).symbols;
  // The worker polls controlFd; the main thread writes writeFd to wake it (the same eventfd on Linux,
  // the two ends of a pipe on Darwin, which has no eventfd).
  let controlFd: number;
  let writeFd: number;
  if (os === "darwin") {
    const ends = new Int32Array(new ArrayBuffer(72)).subarray(0, 2);
    if ((libc.pipe(ends) as number) !== 0) throw new Error("recvmsg: pipe failed; cannot wait for datagrams on Bun");
    [controlFd, writeFd] = [ends[0], ends[1]];
  } else {
    controlFd = writeFd = libc.eventfd(0, 0x80000 | 0x800) as number; // EFD_CLOEXEC | EFD_NONBLOCK
    if (controlFd < 0) throw new Error("recvmsg: eventfd failed; cannot wait for datagrams on Bun");
  }
  const one = new Uint8Array(new ArrayBuffer(72)).subarray(0, 8);
  one[0] = 1;
  const shared = new SharedArrayBuffer(4 * (2 + 3 * SLOTS));
  const Worker = (globalThis as unknown as { Worker: new (url: string) => Poller["worker"] }).Worker;
  const worker = new Worker(new URL("./bun_poller.ts", import.meta.url).href);
  worker.unref();
  const p: Poller = { worker, ctl: new Int32Array(shared), wake: () => void libc.write(writeFd, one, 8), waits: new Map(), nextId: 1 };
  worker.onmessage = (e) => {
    for (const id of e.data) {
      const resolve = p.waits.get(id);
      p.waits.delete(id);
      resolve?.();
    }
    if (p.waits.size === 0) worker.unref();
  };
  worker.postMessage({ shared, controlFd, slots: SLOTS, libc: path });
  return p;
}

const OS: Record<string, string> = { win32: "windows", linux: "linux", darwin: "darwin" };

// JSCallback does not keep Bun's event loop alive, so a referenced callback holds a timer that never
// fires in practice (about 12 days). It is not polling: nothing runs until it is cleared.
let keepAliveCount = 0;
let keepAliveTimer: ReturnType<typeof setInterval> | undefined;
function keepAlive(delta: 1 | -1): void {
  keepAliveCount += delta;
  if (keepAliveCount > 0 && keepAliveTimer === undefined) keepAliveTimer = setInterval(() => {}, 2 ** 30);
  if (keepAliveCount === 0 && keepAliveTimer !== undefined) {
    clearInterval(keepAliveTimer);
    keepAliveTimer = undefined;
  }
}

/** The Bun implementation of {@link Native}. */
export const native: Native = {
  runtime: "bun",
  os: OS[bunProcess.platform ?? ""] ?? String(bunProcess.platform),
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
  addressOf(view: Uint8Array): number {
    return ffi.ptr(view);
  },
  threadSafeCallback(fn: (context: number, flag: number) => void): ThreadSafeCallback {
    const cb = new ffi.JSCallback((context, flag) => fn(Number(context ?? 0), Number(flag)), {
      args: ["ptr", "u8"],
      returns: "void",
      threadsafe: true,
    });
    let refs = 0;
    return {
      pointer: cb.ptr as unknown as CallbackPointer,
      ref: () => {
        if (refs++ === 0) keepAlive(1);
      },
      unref: () => {
        if (refs > 0 && --refs === 0) keepAlive(-1);
      },
      close: () => {
        if (refs > 0) keepAlive(-1);
        refs = 0;
        cb.close();
      },
    };
  },
  int32At(address: bigint): () => number {
    const at = Number(address);
    return () => ffi.read.i32(at);
  },
  pollReadable(fd: number, wakeFd: number): Promise<void> {
    const p = poller ??= startPoller();
    return new Promise((resolve, reject) => {
      const id = p.nextId++ & 0x7fffffff || (p.nextId = 2, 1);
      for (let s = 0; s < SLOTS; s++) {
        const at = 2 + 3 * s;
        if (Atomics.load(p.ctl, at + 2) !== 0) continue;
        Atomics.store(p.ctl, at, fd);
        Atomics.store(p.ctl, at + 1, wakeFd);
        Atomics.store(p.ctl, at + 2, id); // last: the worker reads the id first
        if (p.waits.size === 0) p.worker.ref();
        p.waits.set(id, resolve);
        p.wake();
        return;
      }
      reject(new Error(`recvmsg: more than ${SLOTS} sockets are waiting at once on Bun`));
    });
  },
};
