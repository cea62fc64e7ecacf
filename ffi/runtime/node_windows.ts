/**
 * What the Windows backend needs from Node that node:ffi does not offer, built from two small thunks
 * (ffi/tables/thunks.ts) in one page of code that is never freed (made by ffi/runtime/win_completion.ts,
 * as for Deno and Bun, whose thread-pool callbacks post to a completion port too): written while it is read-write, then
 * made execute-read only (VirtualProtect) before anything runs it; what the thunks read at run time
 * (the completion port, PostQueuedCompletionStatus's address) is on a second, read-write page that
 * is never executable:
 *
 * - calling a function by its address (WSARecvMsg, which WSAIoctl hands out): each call writes the
 *   function, its arguments and a fresh INIT_ONCE into a block of its own and runs the thunk through
 *   kernel32's InitOnceExecuteOnce, which calls it synchronously on this thread;
 * - callbacks from other threads (the thread-pool waits of winsock.ts): the callback pointer given to
 *   RegisterWaitForSingleObject is the posting thunk, which posts (context, flag) to an I/O completion
 *   port; one worker (ffi/runtime/node_iocp.ts) blocks in GetQueuedCompletionStatusEx and passes what it
 *   removes to this thread, which calls the JS function.
 *
 * @module
 */
import { WIN } from "../../structs/windows.ts";
import { CALL_BLOCK } from "../tables/thunks.ts";
import { completionPort, STOP, type ThunkPages, thunkPages } from "./win_completion.ts";
import type { Bound, NativeFn, NativeType, SymbolDef, SymbolTable, ThreadSafeCallback } from "../types.ts";

/** The parts of node:ffi and Node this needs. */
export interface NodeWindowsHost {
  getRawPointer(view: ArrayBufferView): bigint;
  toArrayBuffer(address: bigint, length: number, copy?: boolean): ArrayBuffer;
  open<T extends SymbolTable>(library: string, table: T): Bound<T>;
  /** Runs `fn` when the process exits. */
  onExit(fn: () => void): void;
  /**
   * Starts the completion worker (ffi/runtime/node_iocp.ts) with its first message; `onError` is told if
   * it fails to start after all (ERR_WORKER_INIT_FAILED) or dies. Throws when it cannot be made at all.
   */
  startWorker(
    first: unknown,
    onMessage: (m: number[]) => void,
    onError: (e: unknown) => void,
  ): { ref(): void; unref(): void; terminate(): unknown };
}

/** Each bound function's block: the thunk's block, then its INIT_ONCE. */
const INIT_ONCE_AT = 80;
const BLOCK_SIZE = 128;

/**
 * Node's `fromAddress` and `threadSafeCallback` on Windows, made on first use.
 *
 * @example
 * ```ts ignore
 * const win = new NodeWindows(host);
 * const recvMsg = win.fromAddress(address, WSARECVMSG.WSARecvMsg);
 * ```
 */
export class NodeWindows {
  readonly #host: NodeWindowsHost;
  readonly #k32: ThunkPages["k32"];
  readonly #pages: ThunkPages;

  constructor(host: NodeWindowsHost) {
    this.#host = host;
    this.#pages = thunkPages(
      host.open,
      (address, length) => new Uint8Array(host.toArrayBuffer(address, length, false)),
    );
    this.#k32 = this.#pages.k32;
  }

  /** For tests: the code page's address and the data page's after it. */
  get pages(): { code: bigint; data: bigint } {
    return { code: this.#pages.code, data: this.#pages.data };
  }

  /**
   * A function known only by its address, called through the thunk. Its buffers must be views into
   * ArrayBuffers of more than 64 bytes (memory that never moves while the arguments are written).
   * When it returns -1 (SOCKET_ERROR), the thread's last error is set again to what the function left,
   * for the caller's WSAGetLastError.
   */
  fromAddress<D extends SymbolDef>(address: bigint, def: D): NativeFn<D> {
    if (def.parameters.length > CALL_BLOCK.maxArgs) {
      throw new Error(`recvmsg: internal: ${def.c} has more than ${CALL_BLOCK.maxArgs} arguments`);
    }
    const block = new Uint8Array(new ArrayBuffer(BLOCK_SIZE));
    const dv = new DataView(block.buffer);
    const at = this.#host.getRawPointer(block);
    const initOnce = at + BigInt(INIT_ONCE_AT);
    const thunk = this.#pages.callAt;
    const k32 = this.#k32;
    const host = this.#host;
    dv.setBigUint64(CALL_BLOCK.fn, address, true);
    const kinds: readonly NativeType[] = def.parameters;
    // The backend passes the same views on every receive: each argument's last view and its address,
    // so that a receive asks node:ffi for no address (and makes no BigInt) when they are unchanged.
    const lastViews: unknown[] = kinds.map(() => undefined);
    const call = (...args: unknown[]) => {
      for (let i = 0; i < kinds.length; i++) {
        // (A detached view has no bytes: it is looked at again, and refused.)
        if (
          kinds[i] === "buffer" && args[i] === lastViews[i] && args[i] != null && (args[i] as Uint8Array).byteLength > 0
        ) continue;
        writeArgument(dv, CALL_BLOCK.args + 8 * i, kinds[i], args[i], host, def);
        if (kinds[i] === "buffer") lastViews[i] = args[i];
      }
      dv.setBigUint64(INIT_ONCE_AT, 0n, true);
      if (!k32.InitOnceExecuteOnce(initOnce, thunk, at, 0n)) {
        throw new Error(`recvmsg: InitOnceExecuteOnce did not run the call of ${def.c}`);
      }
      const low = dv.getInt32(CALL_BLOCK.result, true);
      if (low === -1) k32.SetLastError(dv.getUint32(CALL_BLOCK.lastError, true));
      switch (def.result) {
        case "void":
          return undefined;
        case "handle":
          return dv.getBigUint64(CALL_BLOCK.result, true);
        case "isize":
          return Number(dv.getBigInt64(CALL_BLOCK.result, true));
        case "u32":
          return low >>> 0;
        default:
          return low;
      }
    };
    return call as unknown as NativeFn<D>;
  }

  /**
   * A callback pointer any thread may call with `(context, flag)`: it posts them to a completion port,
   * and `fn` runs on this thread when the worker passes them on.
   */
  threadSafeCallback(fn: (context: number, flag: number) => void): ThreadSafeCallback {
    const k32 = this.#k32;
    const port = completionPort(this.#pages);
    const entry = WIN.OVERLAPPED_ENTRY;
    const first = [
      port,
      entry.size,
      entry.fields.lpCompletionKey.offset,
      entry.fields.dwNumberOfBytesTransferred.offset,
      STOP,
    ];
    const onMessage = (pairs: number[]) => {
      for (let i = 0; i < pairs.length; i += 2) fn(pairs[i], pairs[i + 1]);
    };
    // Started by the first wait (ready), and again by the next wait after it failed: what the thread
    // pool posts meanwhile stays in the port and is delivered then.
    type Worker = { ref(): void; unref(): void; terminate(): unknown };
    let worker: Worker | null = null;
    let held = false;
    const stop = () => {
      if (worker === null) return;
      k32.PostQueuedCompletionStatus(port, 0, BigInt(STOP), 0n);
      worker.unref();
      worker = null;
    };
    // A worker that failed (did not start after all, or died) is dropped: the next wait starts another.
    const failed = (w: Worker, cause: unknown) => {
      if (worker !== w) return;
      worker = null;
      try {
        w.terminate();
      } catch { /* gone already */ }
      callback.onFailure?.(
        new Error(`recvmsg: the completion worker failed: ${(cause as Error)?.message ?? cause}`, { cause }),
      );
    };
    // At exit Node waits for its workers to stop, and this one is blocked in the port: end it then.
    this.#host.onExit(stop);
    const callback: ThreadSafeCallback = {
      pointer: this.#pages.postAt as unknown as ThreadSafeCallback["pointer"],
      ready: () => {
        if (worker !== null) return;
        let w: Worker;
        try {
          w = this.#host.startWorker(first, onMessage, (e) => failed(w, e));
        } catch (e) {
          throw new Error(`recvmsg: the completion worker could not start: ${(e as Error)?.message ?? e}`, {
            cause: e,
          });
        }
        worker = w;
        if (held) w.ref();
        else w.unref();
      },
      ref: () => {
        held = true;
        worker?.ref();
      },
      unref: () => {
        held = false;
        worker?.unref();
      },
      close: stop,
    };
    return callback;
  }
}

/** Writes one argument as the 64-bit slot the thunk loads. */
function writeArgument(
  dv: DataView,
  at: number,
  kind: NativeType,
  value: unknown,
  host: NodeWindowsHost,
  def: SymbolDef,
): void {
  if (kind === "buffer") {
    if (value === null || value === undefined) return dv.setBigUint64(at, 0n, true);
    const view = value as Uint8Array;
    // A view of 64 bytes or less may sit on V8's moving heap; writing the next argument could move it.
    if (view.buffer.byteLength <= 64) {
      throw new Error(`recvmsg: internal: a buffer for ${def.c} must be a view into more than 64 bytes`);
    }
    return dv.setBigUint64(at, host.getRawPointer(view), true);
  }
  if (typeof value === "bigint") return dv.setBigUint64(at, BigInt.asUintN(64, value), true);
  const n = Number(value ?? 0);
  // Numbers as 64-bit two's complement, in two halves (no BigInt per call).
  dv.setUint32(at, n >>> 0, true);
  dv.setInt32(at + 4, n < 0 ? -1 : Math.floor(n / 2 ** 32), true);
}
