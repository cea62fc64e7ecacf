/**
 * The POSIX backend's system: libc opened once per process, errno, the process's poll set, and what
 * the system turned out to refuse.
 *
 * @module
 */
import { LINUX as L } from "../../structs/linux.ts";
import type { SocketError } from "../../errors.ts";
import { LIBC, LIBC_DARWIN, LIBC_LINUX, libcPath, POLL } from "../tables/libc.ts";
import { native } from "../native.ts";
import type { Bound, PinnedBuffer } from "../types.ts";
import { PollSet } from "./poll_set.ts";
import type { ReadAheadSystem } from "./read_ahead.ts";
import { errnoFailure, P } from "./platform.ts";

const C = P.C;

export interface Lib {
  c: Bound<typeof LIBC>;
  errno: () => number;
  /** The process's poll set, made with the first socket that waits. */
  pollSet(): PollSet;
  pollSetMade(): boolean;
  /**
   * recvmmsg(2), where the system has it (Linux). `timeout` is a pointer-sized handle: pass `0n` (no
   * timeout) — a bigint, as handles are above the adapters. A number there costs Deno its fast call (V8
   * deoptimizes the call site to the slow path, about 0.5–1 µs more per call; bench/ffi_floor.ts too).
   */
  recvmmsg:
    | ((fd: number, vec: Uint8Array | PinnedBuffer, vlen: number, flags: number, timeout: bigint) => number)
    | null;
  /** sendmmsg(2), where the system has it (Linux). */
  sendmmsg: ((fd: number, vec: Uint8Array | PinnedBuffer, vlen: number, flags: number) => number) | null;
  /** What read-ahead needs, where there is recvmmsg. */
  readAhead: ReadAheadSystem | null;
  open: number;
  /**
   * The system refused recvmmsg / sendmmsg (ENOSYS, EPERM, EINVAL: a seccomp filter or a sandbox): from
   * then on, one call per datagram, for the whole process.
   */
  readonly refused: { receive: boolean; send: boolean };
}
let lib: Lib | undefined;

/**
 * The process's libc bindings, opened on first use.
 *
 * @example
 * ```ts ignore
 * const { c, errno } = load();
 * ```
 */
export function load(): Lib {
  if (lib) return lib;
  const path = libcPath(P.os);
  const c = native.open(path, LIBC);
  const now = native.open(path, POLL);
  let errnoAddress: bigint;
  let wakeChannel: () => [number, number];
  let recvmmsg: Lib["recvmmsg"] = null;
  let sendmmsg: Lib["sendmmsg"] = null;
  if (P.os === "darwin") {
    const d = native.open(path, LIBC_DARWIN);
    errnoAddress = d.__error();
    const ends = new Uint8Array(new ArrayBuffer(72)).subarray(0, 8);
    wakeChannel = () => {
      if (d.pipe(ends) !== 0) throw errnoFailure(lib!.errno(), "pipe");
      const v = new DataView(ends.buffer);
      // Both ends non-blocking would need fcntl (variadic, see LIBC_DARWIN); reads stop at a short count.
      return [v.getInt32(0, true), v.getInt32(4, true)];
    };
  } else {
    const x = native.open(path, LIBC_LINUX);
    errnoAddress = x.__errno_location();
    recvmmsg = x.recvmmsg;
    sendmmsg = x.sendmmsg;
    wakeChannel = () => {
      const fd = x.eventfd(0, L.EFD_CLOEXEC | L.EFD_NONBLOCK);
      if (fd < 0) throw errnoFailure(lib!.errno(), "eventfd");
      return [fd, fd];
    };
  }
  // errno lives at a fixed address per thread; every call here is made on the JS thread.
  const errno = native.int32At(errnoAddress);
  let set: PollSet | undefined;
  const pollSet = () => {
    if (set) return set;
    // Made with the first wait, not here: a wait that meets EMFILE fails that wait, never close().
    let ends: [number, number] | undefined;
    const channel = () => ends ??= wakeChannel();
    const scratch = new Uint8Array(new ArrayBuffer(72));
    new DataView(scratch.buffer).setUint32(64, 1, true);
    const one = scratch.subarray(64, 72);
    const sink = scratch.subarray(0, 64);
    return set = new PollSet({
      pollNow(fds, n) {
        const result = now.poll(fds, n, 0);
        return { result, errno: result < 0 ? errno() : 0 };
      },
      get control() {
        return channel();
      },
      signal: () => void c.write(channel()[1], one, 8),
      // eventfd: one read resets it; a pipe: read until empty (both are non-blocking).
      drain: () => {
        while (c.read(channel()[0], sink, 64) === 64 && P.os === "darwin");
      },
      close: (fd) => void c.close(fd),
      failure: errnoFailure,
    });
  };
  const readAhead: ReadAheadSystem | null = recvmmsg === null ? null : {
    recvmmsg,
    errno,
    failure: errnoFailure,
    EAGAIN: P.EAGAIN,
    MSG_DONTWAIT: C.MSG_DONTWAIT,
    MSG_TRUNC: C.MSG_TRUNC,
    MSG_CTRUNC: C.MSG_CTRUNC,
    families: P.families,
    dialect: P.dialect,
  };
  lib = {
    c,
    errno,
    pollSet,
    pollSetMade: () => set !== undefined,
    recvmmsg,
    sendmmsg,
    readAhead,
    open: 0,
    refused: { receive: false, send: false },
  };
  return lib;
}

/** Errors that mean the system refuses a batch call itself, not this datagram. */
const REFUSALS = new Set(["ENOSYS", "EPERM", "EINVAL"]);

/**
 * Whether `error` from recvmmsg / sendmmsg means the call is refused (a sandbox); if so, learns it for
 * the process and says so once on stderr.
 *
 * @example
 * ```ts ignore
 * if (batchRefused(l, "receive", error)) return this.receiveOneByOne(...);
 * ```
 */
export function batchRefused(l: Lib, kind: "receive" | "send", error: SocketError): boolean {
  if (!REFUSALS.has(error.code)) return false;
  if (!l.refused[kind]) {
    l.refused[kind] = true;
    const call = kind === "receive" ? "recvmmsg" : "sendmmsg";
    console.error(
      `recvmsg: the system refuses ${call} (${error.code}, as under a seccomp filter or sandbox): ${
        kind === "receive" ? "receiving" : "sending"
      } one datagram per system call from now on in this process`,
    );
  }
  return true;
}
