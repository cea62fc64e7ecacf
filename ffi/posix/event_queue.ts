/**
 * The kernel's event queue, as the poll set (ffi/posix/poll_set.ts) uses it: an epoll instance on Linux,
 * a kqueue on macOS. A descriptor is registered once, edge-triggered, for the directions its socket
 * waits in; a wait returns only the descriptors that became ready, so idle sockets cost nothing per
 * wake-up and a socket whose error queue stays full (IP_RECVERR) is reported once per new error, not
 * at every wait.
 *
 * @module
 */
import { native } from "../native.ts";
import { EPOLL, KQUEUE, LIBC_DARWIN, LIBC_LINUX, libcPath } from "../tables/libc.ts";

import { EPOLL_VALUES, epollEventLayout, FAILED, KQUEUE_VALUES, READ, WRITE } from "./event_values.ts";

/** One kernel event queue. */
export interface EventQueue {
  /** The queue's own descriptor (what a wait waits on). */
  readonly fd: number;
  /** Bytes of one event in the array a wait fills. */
  readonly stride: number;
  /** Registers `fd` for the directions `want` (READ | WRITE; 0: none), having had `had`: 0, or the errno. */
  change(fd: number, had: number, want: number): number;
  /** The descriptor of event `i`. */
  fdAt(dv: DataView, i: number): number;
  /** What event `i` says: READ, WRITE, FAILED bits. */
  bitsAt(dv: DataView, i: number): number;
  /** A wait of 0 on this thread (to learn errno after a wait elsewhere failed): its result and errno. */
  takeNow(events: Uint8Array, max: number): { result: number; errno: number };
}

/**
 * Opens the event queue of this system, or returns the errno that prevented it (EMFILE, ENFILE, ENOMEM).
 *
 * @example
 * ```ts ignore
 * const q = openEventQueue();
 * if (typeof q === "number") throw failure(q, "epoll_create1");
 * q.change(fd, 0, READ);
 * ```
 */
export function openEventQueue(): EventQueue | number {
  const path = libcPath(native.os);
  // errno lives at a fixed address per thread; every call here is made on the JS thread.
  const errno = native.int32At(
    native.os === "darwin"
      ? native.open(path, { __error: LIBC_DARWIN.__error }).__error()
      : native.open(path, { __errno_location: LIBC_LINUX.__errno_location }).__errno_location(),
  );
  return native.os === "darwin" ? openKqueue(errno) : openEpoll(errno);
}

function openEpoll(errno: () => number): EventQueue | number {
  const E = EPOLL_VALUES;
  const lib = native.open(libcPath(native.os), EPOLL);
  const fd = lib.epoll_create1(E.EPOLL_CLOEXEC);
  if (fd < 0) return errno();
  const { size, data } = epollEventLayout(native.arch);
  // One event for epoll_ctl: larger than 64 bytes so that it never moves (it is read during the call only).
  const ev = new Uint8Array(new ArrayBuffer(72)).subarray(0, 16);
  const evd = new DataView(ev.buffer);
  const ctl = (op: number, target: number, want: number): number => {
    evd.setUint32(0, (want & READ ? E.EPOLLIN : 0) | (want & WRITE ? E.EPOLLOUT : 0) | E.EPOLLET, true);
    evd.setBigUint64(data, BigInt(target), true);
    return lib.epoll_ctl(fd, op, target, ev) < 0 ? errno() : 0;
  };
  return {
    fd,
    stride: size,
    change(target, had, want) {
      if (want === 0) return ctl(E.EPOLL_CTL_DEL, target, 0);
      const err = ctl(had === 0 ? E.EPOLL_CTL_ADD : E.EPOLL_CTL_MOD, target, want);
      // What the set remembers and what the kernel holds can differ after a close elsewhere: ask the other way.
      if (err === E.EEXIST) return ctl(E.EPOLL_CTL_MOD, target, want);
      if (err === E.ENOENT) return ctl(E.EPOLL_CTL_ADD, target, want);
      return err;
    },
    fdAt: (dv, i) => dv.getInt32(i * size + data, true),
    bitsAt(dv, i) {
      const b = dv.getUint32(i * size, true);
      return (b & E.EPOLLIN ? READ : 0) | (b & E.EPOLLOUT ? WRITE : 0) | (b & (E.EPOLLERR | E.EPOLLHUP) ? FAILED : 0);
    },
    takeNow(events, max) {
      const result = lib.epoll_wait(fd, events, max, 0);
      return { result, errno: result < 0 ? errno() : 0 };
    },
  };
}

function openKqueue(errno: () => number): EventQueue | number {
  const K = KQUEUE_VALUES;
  const lib = native.open(libcPath(native.os), KQUEUE);
  const fd = lib.kqueue();
  if (fd < 0) return errno();
  const change = new Uint8Array(new ArrayBuffer(72)).subarray(0, K.SIZE);
  const cd = new DataView(change.buffer);
  // A zero timespec (tv_sec, tv_nsec): a wait of 0.
  const zero = new Uint8Array(new ArrayBuffer(72)).subarray(0, 16);
  const one = (target: number, filter: number, flags: number): number => {
    cd.setBigUint64(0, BigInt(target), true);
    cd.setInt16(8, filter, true);
    cd.setUint16(10, flags, true);
    cd.setUint32(12, 0, true);
    cd.setBigInt64(16, 0n, true);
    cd.setBigUint64(24, 0n, true);
    return lib.kevent(fd, change, 1, null, 0, null) < 0 ? errno() : 0;
  };
  return {
    fd,
    stride: K.SIZE,
    change(target, had, want) {
      for (const [dir, filter] of [[READ, K.EVFILT_READ], [WRITE, K.EVFILT_WRITE]] as const) {
        if ((had & dir) === (want & dir)) continue;
        const err = one(target, filter, want & dir ? K.EV_ADD | K.EV_CLEAR : K.EV_DELETE);
        // ENOENT: deleting what a close already removed.
        if (err !== 0 && (want & dir || err !== 2)) return err;
      }
      return 0;
    },
    fdAt: (dv, i) => dv.getInt32(i * K.SIZE, true),
    bitsAt(dv, i) {
      const filter = dv.getInt16(i * K.SIZE + 8, true);
      const flags = dv.getUint16(i * K.SIZE + 10, true);
      return (filter === K.EVFILT_READ ? READ : 0) | (filter === K.EVFILT_WRITE ? WRITE : 0) |
        (flags & (K.EV_ERROR | K.EV_EOF) ? FAILED : 0);
    },
    takeNow(events, max) {
      const result = lib.kevent(fd, null, 0, events, max, zero);
      return { result, errno: result < 0 ? errno() : 0 };
    },
  };
}
