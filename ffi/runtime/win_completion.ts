/**
 * Thread-pool callbacks on Windows without a JS callback: what every runtime's adapter uses for the
 * waits of the Windows backend (RegisterWaitForSingleObject).
 *
 * A thread-safe JS callback (Deno.UnsafeCallback.threadSafe, bun:ffi's threadsafe JSCallback) belongs to
 * an isolate: once a worker is terminated, a thread-pool thread that calls it jumps into freed code and
 * the whole process dies. Instead the callback pointer is `post_completion` (ffi/tables/thunks.ts), machine
 * code in a page that is never freed, which posts `(context, flag)` to an I/O completion port that is never
 * closed; a wait of GetQueuedCompletionStatusEx off the JS thread (Deno: a nonblocking FFI call on its
 * blocking pool; Bun: the waiting worker, ffi/runtime/bun_poller.ts; Node: ffi/runtime/node_iocp.ts)
 * hands them to the JS thread. After a terminate, a wait that fires posts to a port nobody reads: nothing
 * runs, nothing is freed under anyone.
 *
 * The pages: one of code, written while read-write and then made execute-read (VirtualProtect) before
 * anything runs it, and one of data after it, read-write and never executable, holding what the posting
 * thunk reads (the port and PostQueuedCompletionStatus's address). Each isolate (thread) that opens a
 * Windows socket makes its own pair and port: 8 KiB of address space (64 KiB reserved by Windows'
 * allocation granularity) and one handle, kept for the life of the process.
 *
 * @module
 */
import { MEM_COMMIT, MEM_RESERVE, PAGE_EXECUTE_READ, PAGE_READWRITE } from "../../structs/constants.ts";
import { WIN } from "../../structs/windows.ts";
import { CALL_BY_ADDRESS, POST_COMPLETION, POST_COMPLETION_BLOCK_AT } from "../tables/thunks.ts";
import { KERNEL32_NODE } from "../tables/windows.ts";
import type { Bound, CallbackPointer, Native, ThreadSafeCallback } from "../types.ts";

const PAGE = 4096;
/** Offsets of the thunks in the code page; the posting thunk's block is at the start of the data page. */
const AT = { call: 0, post: 128 } as const;
/** GetCurrentProcess()'s pseudo handle, for FlushInstructionCache. */
const CURRENT_PROCESS = 0xffff_ffff_ffff_ffffn;
const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;

/** The completion key that ends a waiter; no context is this large. */
export const STOP = 2 ** 53 - 1;
/** The completion key that only makes a wait return (nothing waits any more). */
const WAKE = 2 ** 53 - 2;

/**
 * The longest one wait for completions lasts before it is made again (it then removes nothing). A
 * terminated worker's wait on another thread is never told to return: this limit ends it within 10 s,
 * and it is not made again. A wake-up every 10 s costs nothing.
 */
export const COMPLETION_WAIT_MS = 10_000;

/** Completions removed per wait. */
export const COMPLETION_ENTRIES = 64;

/** The pages this thread made last (for tests). */
let made: ThunkPages | undefined;

/**
 * For tests on Windows: the code page and data page of this thread's thunks, or null before the first wait
 * (or the first call by address on Node) made them.
 *
 * @example
 * ```ts ignore
 * const pages = thunkPagesMade(); // { code, data } once a receive has waited
 * ```
 */
export function thunkPagesMade(): { code: bigint; data: bigint } | null {
  return made ? { code: made.code, data: made.data } : null;
}

/** The thunks' pages of one thread, and the kernel32 calls that made them. */
export interface ThunkPages {
  /** kernel32's calls for the pages and the port. */
  readonly k32: Bound<typeof KERNEL32_NODE>;
  /** The code page (execute-read). */
  readonly code: bigint;
  /** The data page (read-write) after it. */
  readonly data: bigint;
  /** `call_by_address` (used by Node only). */
  readonly callAt: bigint;
  /** `post_completion`, the thread-pool callback. */
  readonly postAt: bigint;
  /** A view of the data page. */
  readonly dataView: DataView;
}

/**
 * Makes the two pages of thunks (see the module's comment).
 *
 * @example
 * ```ts ignore
 * const pages = thunkPages(native.open, native.viewBytes);
 * ```
 */
export function thunkPages(open: Native["open"], viewBytes: Native["viewBytes"]): ThunkPages {
  const k32 = open("kernel32.dll", KERNEL32_NODE);
  const page = k32.VirtualAlloc(0n, BigInt(2 * PAGE), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (page === 0n) throw new Error("recvmsg: VirtualAlloc could not make the pages of thunks Windows waits need");
  const code = viewBytes(page, PAGE);
  code.set(CALL_BY_ADDRESS, AT.call);
  code.set(POST_COMPLETION, AT.post);
  new DataView(code.buffer, code.byteOffset).setBigUint64(
    AT.post + POST_COMPLETION_BLOCK_AT,
    page + BigInt(PAGE),
    true,
  );
  // Written: now never writable again while it may run. (The old protection comes back in a DWORD.)
  const old = new Uint8Array(new ArrayBuffer(72)).subarray(0, 4);
  if (!k32.VirtualProtect(page, BigInt(PAGE), PAGE_EXECUTE_READ, old)) {
    throw new Error("recvmsg: VirtualProtect could not make the thunks' page execute-read");
  }
  k32.FlushInstructionCache(CURRENT_PROCESS, page, BigInt(PAGE));
  const data = viewBytes(page + BigInt(PAGE), PAGE);
  return made = {
    k32,
    code: page,
    data: page + BigInt(PAGE),
    callAt: page + BigInt(AT.call),
    postAt: page + BigInt(AT.post),
    dataView: new DataView(data.buffer, data.byteOffset, PAGE),
  };
}

/**
 * A new completion port, written into the data page for the posting thunk (one port per pair of pages:
 * a second call replaces the first for thread-pool callbacks that start after it).
 *
 * @example
 * ```ts ignore
 * const port = completionPort(pages);
 * ```
 */
export function completionPort(pages: ThunkPages): bigint {
  const k32 = pages.k32;
  const port = k32.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0n, 0n, 1);
  if (port === 0n) throw new Error("recvmsg: CreateIoCompletionPort failed");
  const post = k32.GetProcAddress(k32.GetModuleHandleW(utf16z("kernel32.dll")), asciiz("PostQueuedCompletionStatus"));
  if (post === 0n) throw new Error("recvmsg: kernel32.dll has no PostQueuedCompletionStatus");
  pages.dataView.setBigUint64(0, port, true);
  pages.dataView.setBigUint64(8, post, true);
  return port;
}

/**
 * Native memory of `bytes` that is never freed (VirtualAlloc, read-write): what another thread may still
 * write after this isolate is gone.
 *
 * @example
 * ```ts ignore
 * const entries = lastingWindowsMemory(pages, native.viewBytes, 2048);
 * ```
 */
export function lastingWindowsMemory(pages: ThunkPages, viewBytes: Native["viewBytes"], bytes: number): Uint8Array {
  const at = pages.k32.VirtualAlloc(0n, BigInt(bytes), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (at === 0n) throw new Error("recvmsg: VirtualAlloc could not make memory for completions");
  return viewBytes(at, bytes);
}

/** How an adapter waits for completions off the JS thread. */
export interface CompletionWait {
  /**
   * One GetQueuedCompletionStatusEx of `port` into `entries` (up to `max`), with `removed` the ULONG it
   * writes the count to, and a time-out of {@link COMPLETION_WAIT_MS}: resolves with the count removed (0 on
   * a time-out or a failure). All the memory is {@link lastingWindowsMemory}.
   */
  wait(port: bigint, entries: Uint8Array, max: number, removed: Uint8Array): Promise<number>;
  /** Whether the running wait keeps the process alive. */
  hold(on: boolean): void;
}

/**
 * Deno's and Bun's `threadSafeCallback` on Windows: the pointer is the posting thunk; one loop of waits
 * (`waiter`) passes each completion to `fn` on this thread. The loop runs while the owner says a thread-pool
 * wait is registered (`waiting(true)`; with false the running wait is woken and the loop ends, so that a
 * worker whose sockets are all closed ends at once, and Bun's waiting worker is idle); a wait keeps the
 * process alive only while the callback is referenced.
 *
 * @example
 * ```ts ignore
 * const cb = completionCallback(pages, native.viewBytes, waiter, (context, flag) => {});
 * ```
 */
export function completionCallback(
  pages: ThunkPages,
  viewBytes: Native["viewBytes"],
  waiter: CompletionWait,
  fn: (context: number, flag: number) => void,
): ThreadSafeCallback {
  const port = completionPort(pages);
  const entry = WIN.OVERLAPPED_ENTRY;
  const block = lastingWindowsMemory(pages, viewBytes, COMPLETION_ENTRIES * entry.size + 8);
  const entries = block.subarray(0, COMPLETION_ENTRIES * entry.size);
  const removed = block.subarray(COMPLETION_ENTRIES * entry.size, COMPLETION_ENTRIES * entry.size + 4);
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const keyAt = entry.fields.lpCompletionKey.offset;
  const bytesAt = entry.fields.dwNumberOfBytesTransferred.offset;
  let refs = 0;
  let stopped = false;
  /** Whether a wait is registered (the loop runs only then), and whether the loop runs. */
  let wanted = false;
  let running = false;
  const loop = async () => {
    running = true;
    while (!stopped && wanted) {
      let n = 0;
      try {
        const p = waiter.wait(port, entries, COMPLETION_ENTRIES, removed);
        waiter.hold(refs > 0);
        n = await p;
      } catch {
        // The waiting thread failed (Bun's worker): the next wait starts another after a pause.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      for (let i = 0; i < n; i++) {
        const key = Number(dv.getBigUint64(i * entry.size + keyAt, true));
        if (key === STOP) stopped = true;
        else if (key === WAKE) continue;
        else {
          try {
            fn(key, dv.getUint32(i * entry.size + bytesAt, true));
          } catch (e) {
            queueMicrotask(() => {
              throw e;
            });
          }
        }
      }
    }
    running = false;
  };
  return {
    pointer: pages.postAt as unknown as CallbackPointer,
    ref: () => {
      if (refs++ === 0) waiter.hold(true);
    },
    unref: () => {
      if (refs > 0 && --refs === 0) waiter.hold(false);
    },
    waiting: (on) => {
      if (on === wanted) return;
      wanted = on;
      if (on && !running && !stopped) void loop();
      // The running wait returns; the loop then sees that nothing waits and ends. Not at once: a receive that
      // has just been answered usually waits again within the same turn, and then nothing needs waking.
      if (!on && running) {
        setTimeout(() => {
          if (!wanted && running) pages.k32.PostQueuedCompletionStatus(port, 0, BigInt(WAKE), 0n);
        }, 0);
      }
    },
    close: () => {
      refs = 0;
      waiter.hold(false);
      pages.k32.PostQueuedCompletionStatus(port, 0, BigInt(STOP), 0n);
    },
  };
}

/** A NUL-terminated UTF-16LE string in memory that does not move. */
function utf16z(s: string): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(Math.max(128, 2 * s.length + 2)));
  for (let i = 0; i < s.length; i++) {
    out[2 * i] = s.charCodeAt(i) & 0xff;
    out[2 * i + 1] = s.charCodeAt(i) >> 8;
  }
  return out;
}

/** A NUL-terminated ASCII string in memory that does not move. */
function asciiz(s: string): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(Math.max(128, s.length + 1)));
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
