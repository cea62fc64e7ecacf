/**
 * Native code a Node worker thread leaves to its teardown (Linux x86-64), where no JavaScript runs.
 *
 * The wake: a Node worker thread's way to learn that its event queue is ready without a node:ffi callback (Linux
 * x86-64): the poll's callback is machine code that runs no JavaScript (POLL_WAKE_SOURCE in
 * ffi/tables/thread_end.ts), and writes a byte to a pipe that Node reads as a stream. When a worker is
 * terminated, Node's teardown runs the thread's loop once more with JavaScript forbidden: a node:ffi
 * callback called then aborts the whole process, while a stream of Node's own is closed first.
 *
 * The code page is never unmapped (libuv may call it during the teardown, after the thread's JavaScript is
 * gone): one page per worker thread that waited. The pipe's write end is closed with the thread (Node's
 * environment cleanup hooks, ffi/runtime/node_thread_end.ts), its read end by Node with the stream, or by
 * a hook on the same page that closes it only while the number still names the pipe (CLOSE_IF_SAME_SOURCE).
 *
 * The unmap hook: what those cleanup hooks call for a read-ahead arena still mapped as a worker is
 * terminated (UNMAP_END_SOURCE: `munmap(mapping, size)`; a hook passes one pointer). One page per size
 * and thread, never unmapped (the hooks run it after the thread's JavaScript is gone).
 *
 * @module
 */
import {
  CLOSE_IF_SAME_CODE,
  LIBC_POLL_WAKE,
  POLL_WAKE_CODE,
  POLL_WAKE_RECORD as R,
  POLL_WAKE_WORDS,
  UNMAP_END_CODE,
  UNMAP_END_WORDS,
} from "../tables/thread_end.ts";
import { LIBC_MMAP } from "../tables/libc.ts";
import type { Bound } from "../types.ts";

/** What making the wake needs of the adapter. */
export interface WakeTools {
  libc: Bound<typeof LIBC_POLL_WAKE> & Bound<typeof LIBC_MMAP>;
  /** `uv_poll_stop`'s, `write`'s, `fstat`'s and `close`'s addresses. */
  uvPollStop: bigint;
  write: bigint;
  fstat: bigint;
  close: bigint;
  viewBytes(address: bigint, length: number): Uint8Array;
  /** `fd` is closed when this thread ends without running JS again (`on`), or no longer. */
  closeWithThread(fd: number, on: boolean): void;
  /** `fn(arg)` is called when this thread ends without running JS again (`on`), or no longer. */
  callWithThread(fn: bigint, arg: bigint, on: boolean): void;
  /** A stream of Node's own reading `fd` (a node:net Socket), which owns it from then on. */
  openStream(fd: number): WakeStream;
}

/** The part of a node:net Socket the wake uses. */
export interface WakeStream {
  on(event: "data", fn: () => void): void;
  on(event: "error", fn: (e: unknown) => void): void;
  ref(): void;
  unref(): void;
}

/** The native callback's address, and the stream that reads the pipe it writes to. */
export interface NodeWake {
  callback: bigint;
  stream: WakeStream;
}

// Linux values: O_NONBLOCK | O_CLOEXEC; PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC; MAP_PRIVATE |
// MAP_ANONYMOUS; MAP_FAILED is (void *)-1.
const PIPE_FLAGS = 0o4000 | 0o2000000;
const PROT_RW = 0x1 | 0x2;
const PROT_RX = 0x1 | 0x4;
const MAP_FLAGS = 0x02 | 0x20;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const PAGE = 4096;

/**
 * The pipe and the callback's page; null if either cannot be had (then the caller keeps a node:ffi
 * callback, as on the main thread).
 *
 * @example
 * ```ts ignore
 * const wake = makeWake(tools); // in a Node worker thread, Linux x86-64
 * if (wake) uv_poll_start(handle, UV_READABLE, wake.callback);
 * ```
 */
export function makeWake(t: WakeTools): NodeWake | null {
  const fds = new Uint8Array(new ArrayBuffer(128));
  if (t.libc.pipe2(fds, PIPE_FLAGS) !== 0) return null;
  const [readFd, writeFd] = new Int32Array(fds.buffer, 0, 2);
  // Owned by the thread's end at once: a worker terminated from here on leaves neither end open.
  t.closeWithThread(readFd, true);
  t.closeWithThread(writeFd, true);
  const fail = (page: bigint) => {
    if (page !== 0n) t.libc.munmap(page, BigInt(PAGE));
    for (const fd of [readFd, writeFd]) {
      t.closeWithThread(fd, false);
      t.libc.close(fd);
    }
    return null;
  };
  const st = new Uint8Array(new ArrayBuffer(R.statSize));
  if (t.libc.fstat(readFd, st) !== 0) return fail(0n);
  const page = t.libc.mmap(0n, BigInt(PAGE), PROT_RW, MAP_FLAGS, -1, 0n);
  if (page === MAP_FAILED || page === 0n) return fail(0n);
  const code = t.viewBytes(page, PAGE);
  code.set(POLL_WAKE_CODE);
  const words = new DataView(code.buffer, code.byteOffset, code.byteLength);
  words.setBigUint64(POLL_WAKE_WORDS.uvPollStop, t.uvPollStop, true);
  words.setBigUint64(POLL_WAKE_WORDS.write, t.write, true);
  words.setInt32(POLL_WAKE_WORDS.fd, writeFd, true);
  // The read end's hook closes it only while the number names this pipe (CLOSE_IF_SAME_SOURCE): the
  // stream, made below, closes it first at the thread's end, and a terminate that lands while the stream
  // is made (its constructor runs tens of microseconds of JS) leaves it to the hook instead of leaking it.
  code.set(CLOSE_IF_SAME_CODE, R.code);
  const at = R.record;
  const stat = new DataView(st.buffer);
  words.setBigUint64(at + R.fd, BigInt(readFd), true);
  words.setBigUint64(at + R.dev, stat.getBigUint64(R.statDev, true), true);
  words.setBigUint64(at + R.ino, stat.getBigUint64(R.statIno, true), true);
  words.setBigUint64(at + R.fstat, t.fstat, true);
  words.setBigUint64(at + R.close, t.close, true);
  if (t.libc.mprotect(page, BigInt(PAGE), PROT_RX) !== 0) return fail(page);
  // The plain hook goes before the checked one comes: Node runs the later hook first, and the plain one
  // after it would close the number a second time (a thread ended between the two leaks it instead).
  const hook = page + BigInt(R.code);
  const record = page + BigInt(R.record);
  t.closeWithThread(readFd, false);
  t.callWithThread(hook, record, true);
  let stream: WakeStream;
  try {
    stream = t.openStream(readFd);
  } catch {
    t.callWithThread(hook, record, false);
    t.libc.close(readFd);
    t.closeWithThread(writeFd, false);
    t.libc.close(writeFd);
    return null;
  }
  return { callback: page, stream };
}

/**
 * The hook that unmaps a mapping of `size` bytes (see UNMAP_END_SOURCE), or null if its page cannot be had.
 *
 * @example
 * ```ts ignore
 * const hook = makeUnmapHook({ libc, munmap, viewBytes }, ARENA_MAPPING_BYTES);
 * if (hook) threadEnd.callWithThread(hook, mapping, true);
 * ```
 */
export function makeUnmapHook(
  t: { libc: Bound<typeof LIBC_MMAP>; munmap: bigint; viewBytes(address: bigint, length: number): Uint8Array },
  size: number,
): bigint | null {
  const page = t.libc.mmap(0n, BigInt(PAGE), PROT_RW, MAP_FLAGS, -1, 0n);
  if (page === MAP_FAILED || page === 0n) return null;
  const code = t.viewBytes(page, PAGE);
  code.set(UNMAP_END_CODE);
  const words = new DataView(code.buffer, code.byteOffset, code.byteLength);
  words.setBigUint64(UNMAP_END_WORDS.size, BigInt(size), true);
  words.setBigUint64(UNMAP_END_WORDS.munmap, t.munmap, true);
  if (t.libc.mprotect(page, BigInt(PAGE), PROT_RX) !== 0) {
    t.libc.munmap(page, BigInt(PAGE));
    return null;
  }
  return page;
}
