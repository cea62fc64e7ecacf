/**
 * The Node adapter: the built-in `node:ffi` (Node 26.1 and later, experimental; on by default since
 * 26.10). It has no call that runs off the JS thread and its callbacks must run on the thread that made
 * them, so waiting is done like Bun's: one worker thread (ffi/runtime/node_poller.ts) makes the poll(2) of the
 * process's poll set. On Windows, where the backend needs a call by address (WSARecvMsg comes from
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
  SymbolDef,
  SymbolTable,
  ThreadSafeCallback,
} from "../types.ts";
import { findWorker, PollRunner, type PollWorker } from "./poll_runner.ts";
import { NodeWindows } from "./node_windows.ts";

interface NodeFfi {
  DynamicLibrary: new (path: string) => {
    getFunction(name: string, signature: { return: string; arguments: string[] }): (...args: unknown[]) => unknown;
  };
  getRawPointer(view: ArrayBufferView): bigint;
  getInt32(address: bigint, offset?: number): number;
  toArrayBuffer(address: bigint, length: number, copy?: boolean): ArrayBuffer;
}
interface NodeProcess {
  platform: string;
  once(event: "exit", fn: () => void): void;
  versions: { node: string };
  getBuiltinModule(id: string): unknown;
}

const nodeProcess = (globalThis as unknown as { process: NodeProcess }).process;

/** node:ffi, or a sentence saying why it cannot be had and what to do. */
function loadFfi(): NodeFfi {
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

const ffi = loadFfi();

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
function openLibrary(path: string): InstanceType<NodeFfi["DynamicLibrary"]> {
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

let poller: PollRunner | undefined;

function startPoller(): PollRunner {
  type NodeWorker = PollWorker & { on(event: "message", fn: (result: number) => void): void };
  const { Worker } = nodeProcess.getBuiltinModule("node:worker_threads") as { Worker: new (url: URL) => NodeWorker };
  // A file beside this one: .ts in a checkout (Node strips the types), .js in the npm package.
  const fs = nodeProcess.getBuiltinModule("node:fs") as { existsSync(u: URL): boolean };
  const url = findWorker("node_poller", import.meta.url, fs.existsSync);
  const worker = new Worker(url);
  const runner = new PollRunner(worker);
  worker.on("message", (result) => runner.answer(result));
  return runner;
}

const OS: Record<string, string> = { win32: "windows", linux: "linux", darwin: "darwin" };

let nodeWindows: NodeWindows | undefined;

/** The Windows thunks (a call by address, callbacks from other threads), made on first use. */
function windows(): NodeWindows {
  if (nodeProcess.platform !== "win32") {
    throw new Error("recvmsg: internal: a call by address or a cross-thread callback is needed only on Windows");
  }
  return nodeWindows ??= new NodeWindows({
    getRawPointer: (view) => ffi.getRawPointer(view),
    toArrayBuffer: (address, length, copy) => ffi.toArrayBuffer(address, length, copy),
    open: (library, table) => native.open(library, table),
    onExit: (fn) => nodeProcess.once("exit", fn),
    startWorker(first, onMessage) {
      type NodeWorker = PollWorker & { on(event: "message", fn: (m: number[]) => void): void };
      const { Worker } = nodeProcess.getBuiltinModule("node:worker_threads") as {
        Worker: new (url: URL) => NodeWorker;
      };
      const fs = nodeProcess.getBuiltinModule("node:fs") as { existsSync(u: URL): boolean };
      const url = findWorker("node_iocp", import.meta.url, fs.existsSync);
      const worker = new Worker(url);
      worker.on("message", onMessage);
      worker.postMessage(first);
      return worker;
    },
  });
}

/** The Node implementation of {@link Native}. */
export const native: Native = {
  runtime: "node",
  os: OS[nodeProcess.platform] ?? nodeProcess.platform,
  open<T extends SymbolTable>(library: string, table: T): Bound<T> {
    const lib = openLibrary(library);
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
  pollOffThread(fds: Uint8Array, n: number): Promise<number> {
    // The worker polls this address; the array does not move and is not touched until it answers.
    return (poller ??= startPoller()).poll([
      ffi.getRawPointer(fds),
      n,
      nodeProcess.platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6",
    ]);
  },
};

/** Keeps the type of the callback pointer in use (the Windows backend's; never made on Node). */
export type { CallbackPointer };
