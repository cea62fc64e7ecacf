/**
 * The Node adapter: the built-in `node:ffi` (Node 26.1 and later, experimental; on by default since
 * 26.10). It has no call that runs off the JS thread and its callbacks must run on the thread that made
 * them, so on Linux and macOS the event queue is watched by this thread's own event loop
 * (ffi/runtime/node_loop.ts: a uv_poll_t, no worker). On Windows, where the backend needs a call by address (WSARecvMsg comes from
 * WSAIoctl) and callbacks from thread-pool threads, neither of which node:ffi has, ffi/runtime/node_windows.ts
 * builds both from two small thunks.
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
import { NodeLoopWait } from "./node_loop.ts";
import { NodeThreadEnd } from "./node_thread_end.ts";
import { EPOLL, KQUEUE, LIBC_MMAP, libcPath } from "../tables/libc.ts";
import { LIBC_POLL_WAKE } from "../tables/thread_end.ts";
import { makeUnmapHook, makeWake, type WakeStream } from "./node_wake.ts";
import { NodeWindows } from "./node_windows.ts";
import { findWorker } from "./poll_runner.ts";

interface NodeFfi {
  DynamicLibrary: new (path: string | null) => {
    getFunction(name: string, signature: { return: string; arguments: string[] }): (...args: unknown[]) => unknown;
    getSymbol(name: string): bigint;
    registerCallback(signature: { return: string; arguments: string[] }, fn: (...args: never[]) => void): bigint;
  };
  getCurrentEventLoop?(): bigint;
  getUint32(address: bigint, offset?: number): number;
  setUint32(address: bigint, offset: number, value: number): void;
  getRawPointer(view: ArrayBufferView): bigint;
  getInt32(address: bigint, offset?: number): number;
  toArrayBuffer(address: bigint, length: number, copy?: boolean): ArrayBuffer;
}
interface NodeProcess {
  platform: string;
  arch: string;
  once(event: "exit", fn: () => void): void;
  versions: { node: string };
  getBuiltinModule(id: string): unknown;
}

/** node:ffi, or a sentence saying why it cannot be had and what to do. */
function loadFfi(nodeProcess: NodeProcess): NodeFfi {
  const [major, minor] = nodeProcess.versions.node.split(".").map(Number);
  if (major < 26 || (major === 26 && minor < 1)) {
    throw new Error(
      `recvmsg needs Node 26.1 or later (node:ffi); this is Node ${nodeProcess.versions.node}. Install a newer Node, or run with Bun or Deno.`,
    );
  }
  let ffi: NodeFfi | undefined;
  try {
    ffi = nodeProcess.getBuiltinModule("node:ffi") as NodeFfi | undefined;
  } catch { /* reported below */ }
  if (!ffi) {
    throw new Error(
      "recvmsg: node:ffi is not available in this Node: it is turned off (--no-experimental-ffi), or Node before 26.10 needs --experimental-ffi. Run node with --experimental-ffi.",
    );
  }
  return ffi;
}

const TYPES: Record<NativeType, string> = {
  void: "void",
  i32: "i32",
  u32: "u32",
  u16: "u16",
  u8: "u8",
  isize: "i64",
  handle: "u64",
  // `pointer` takes a typed array (its data's address), null, or a bigint address.
  buffer: "pointer",
  function: "pointer",
};

/** Opens a library, turning the permission model's refusal into a sentence. */
function openLibrary(ffi: NodeFfi, path: string): InstanceType<NodeFfi["DynamicLibrary"]> {
  try {
    return new ffi.DynamicLibrary(path);
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_ACCESS_DENIED") {
      throw new Error("recvmsg: Node's permission model refuses FFI: run with --allow-ffi (beside --permission).", {
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * Handles go in as bigint whatever the caller passed (`u64` takes only bigint), sizes come out as
 * numbers: above the adapter handles are bigint, sizes numbers, as on Deno and Bun.
 */
function wrap(def: SymbolDef, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const handles = def.parameters.map((p, i) => (p === "handle" ? i : -1)).filter((i) => i >= 0);
  let call = fn;
  if (handles.length > 0) {
    call = (...args) => {
      for (const i of handles) if (typeof args[i] === "number") args[i] = BigInt(args[i] as number);
      return fn(...args);
    };
  }
  if (def.result === "isize") return (...args) => Number(call(...args) as bigint);
  if (def.result === "handle") return (...args) => BigInt(call(...args) as bigint);
  return call;
}

const OS: Record<string, string> = { win32: "windows", linux: "linux", darwin: "darwin" };

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

/** The Windows thunks of this thread, once made (for tests). */
let madeWindows: NodeWindows | undefined;

/**
 * For tests on Windows Node: the thunks' code page and data page, or null before the first call that needs them.
 *
 * @example
 * ```ts ignore
 * const pages = nodeThunkPages(); // { code, data } once a receive has run
 * ```
 */
export function nodeThunkPages(): { code: bigint; data: bigint } | null {
  return madeWindows?.pages ?? null;
}

/**
 * The Node implementation of {@link Native}. node:ffi is reached only when called, so that every runtime
 * can load this module (ffi/native.ts imports every adapter statically: no top-level await).
 *
 * @example
 * ```ts ignore
 * const native = nodeNative();
 * console.log(native.os); // "linux"
 * ```
 */
export function nodeNative(): Native {
  const nodeProcess = (globalThis as unknown as { process: NodeProcess }).process;
  const ffi = loadFfi(nodeProcess);
  const os = OS[nodeProcess.platform] ?? nodeProcess.platform;
  let nodeWindows: NodeWindows | undefined;
  let loopWait: NodeLoopWait | undefined;
  let threadEnd: NodeThreadEnd | null | undefined;
  const ends = () =>
    threadEnd ??= NodeThreadEnd.make(
      ffi,
      nodeProcess.platform,
      (nodeProcess as unknown as { execPath: string }).execPath,
    );
  const closeWithThread = (fd: number | bigint, on: boolean) => ends()?.closeWithThread(fd, on);
  /** The hook that unmaps `size` bytes (./node_wake.ts), per size: null where it cannot be made. */
  const unmapHooks = new Map<number, bigint | null>();
  const unmapWithThread = (address: bigint, size: number, on: boolean) => {
    if (os !== "linux" || nodeProcess.arch !== "x64") return;
    let hook = unmapHooks.get(size);
    if (hook === undefined) {
      hook = makeUnmapHook({
        libc: native.open(libcPath(os), LIBC_MMAP),
        munmap: openLibrary(ffi, libcPath(os)).getSymbol("munmap"),
        viewBytes: (at, length) => new Uint8Array(ffi.toArrayBuffer(at, length, false)),
      }, size);
      unmapHooks.set(size, hook);
    }
    if (hook !== null) ends()?.callWithThread(hook, address, on);
  };

  /** The Windows thunks (a call by address, callbacks from other threads), made on first use. */
  const windows = (): NodeWindows => {
    if (nodeProcess.platform !== "win32") {
      throw new Error("recvmsg: internal: a call by address or a cross-thread callback is needed only on Windows");
    }
    return nodeWindows ??= madeWindows = new NodeWindows({
      getRawPointer: (view) => ffi.getRawPointer(view),
      toArrayBuffer: (address, length, copy) => ffi.toArrayBuffer(address, length, copy),
      open: (library, table) => native.open(library, table),
      onExit: (fn) => nodeProcess.once("exit", fn),
      startWorker(first, onMessage, onError) {
        type NodeWorker = { ref(): void; unref(): void; terminate(): unknown; postMessage(m: unknown): void } & {
          on(event: "message", fn: (m: number[]) => void): void;
          on(event: "error", fn: (e: unknown) => void): void;
        };
        const { Worker } = nodeProcess.getBuiltinModule("node:worker_threads") as {
          Worker: new (url: URL) => NodeWorker;
        };
        const fs = nodeProcess.getBuiltinModule("node:fs") as { existsSync(u: URL): boolean };
        const worker = new Worker(findWorker("node_iocp", import.meta.url, fs.existsSync));
        worker.on("message", onMessage);
        // ERR_WORKER_INIT_FAILED (no descriptors, no memory...) and a death: the wait's users are told, not the process.
        worker.on("error", onError);
        worker.postMessage(first);
        return worker;
      },
    });
  };

  /** The event queue's wait on this thread's event loop: epoll_wait (kevent) with a timeout of 0 when libuv saw it ready. */
  const makeLoopWait = (): NodeLoopWait => {
    const libc = openLibrary(ffi, libcPath(os));
    const inWorker = !(nodeProcess.getBuiltinModule("node:worker_threads") as { isMainThread: boolean }).isMainThread;
    if (os === "darwin") {
      const kevent = wrap(
        KQUEUE.kevent,
        libc.getFunction("kevent", {
          return: "i32",
          arguments: KQUEUE.kevent.parameters.map((p) => TYPES[p]),
        }),
      );
      // A zero timespec: take what is there, never block.
      const zero = new Uint8Array(new ArrayBuffer(72)).subarray(0, 16);
      return new NodeLoopWait(
        ffi,
        libcPath(os),
        inWorker,
        (q, events, max) => kevent(q, null, 0, events, max, zero) as number,
        (fd) => closeWithThread(fd, true),
      );
    }
    const epollWait = libc.getFunction("epoll_wait", {
      return: "i32",
      arguments: EPOLL.epoll_wait.parameters.map((p) => TYPES[p]),
    });
    // A worker's poll callback runs no JS where the native one exists (./node_wake.ts): Linux x86-64.
    const wake = inWorker && nodeProcess.arch === "x64"
      ? makeWake({
        libc: { ...native.open(libcPath(os), LIBC_POLL_WAKE), ...native.open(libcPath(os), LIBC_MMAP) },
        uvPollStop: new ffi.DynamicLibrary(null).getSymbol("uv_poll_stop"),
        write: libc.getSymbol("write"),
        fstat: libc.getSymbol("fstat"),
        close: libc.getSymbol("close"),
        viewBytes: (address, length) => new Uint8Array(ffi.toArrayBuffer(address, length, false)),
        closeWithThread,
        callWithThread: (fn, arg, on) => ends()?.callWithThread(fn, arg, on),
        // node:net loaded before the pipe is made: the wake is made in a few microseconds (see makeWake).
        openStream: ((net) => (fd: number) => new net.Socket({ fd, readable: true, writable: false }))(
          nodeProcess.getBuiltinModule("node:net") as { Socket: new (o: object) => WakeStream },
        ),
      })
      : null;
    return new NodeLoopWait(
      ffi,
      libcPath(os),
      inWorker,
      (q, events, max) => epollWait(q, events, max, 0) as number,
      (fd) => closeWithThread(fd, true),
      wake,
    );
  };

  const native: Native = {
    runtime: "node",
    os,
    arch: ARCH[nodeProcess.arch] ?? nodeProcess.arch,
    poolCopies: true,
    waitMemory: (bytes: number) => new Uint8Array(new ArrayBuffer(Math.max(bytes, 128))),
    open<T extends SymbolTable>(library: string, table: T): Bound<T> {
      const lib = openLibrary(ffi, library);
      const out: Record<string, unknown> = {};
      for (const [name, def] of Object.entries(table)) {
        out[name] = wrap(
          def,
          lib.getFunction(name, { return: TYPES[def.result], arguments: def.parameters.map((p) => TYPES[p]) }),
        );
      }
      return out as Bound<T>;
    },
    fromAddress<D extends SymbolDef>(address: bigint, def: D): NativeFn<D> {
      return windows().fromAddress(address, def);
    },
    pin(view: Uint8Array): PinnedBuffer {
      // node:ffi asks V8 for a typed array's address on every call (~200 ns); a bigint goes in as it is.
      return ffi.getRawPointer(view) as unknown as PinnedBuffer;
    },
    addressOf(view: Uint8Array): number {
      return Number(ffi.getRawPointer(view));
    },
    threadSafeCallback(fn: (context: number, flag: number) => void): ThreadSafeCallback {
      return windows().threadSafeCallback(fn);
    },
    readBytes(address: bigint, length: number): Uint8Array {
      return new Uint8Array(ffi.toArrayBuffer(address, length, true));
    },
    viewBytes(address: bigint, length: number): Uint8Array {
      return new Uint8Array(ffi.toArrayBuffer(address, length, false));
    },
    int32At(address: bigint): () => number {
      return () => ffi.getInt32(address);
    },
    waitQueue(queue: number, events: Uint8Array, max: number): Promise<number> {
      return (loopWait ??= makeLoopWait()).wait(queue, events, max);
    },
    holdWait(on: boolean): void {
      loopWait?.hold(on);
    },
    closeWithThread,
    unmapWithThread,
  };
  return native;
}

/** Keeps the type of the callback pointer in use (the Windows backend's; never made on Node). */
export type { CallbackPointer };
