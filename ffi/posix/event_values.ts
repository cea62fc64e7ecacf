/**
 * The C values of the kernel event queues (ffi/posix/event_queue.ts) as data, with no imports, so that
 * tests/pure/wait_c.test.ts can prove them against the headers without a runtime's FFI.
 *
 * @module
 */

/** A socket waits to read. */
export const READ = 1;
/** A socket waits to write. */
export const WRITE = 2;
/** An event's bit: the descriptor has an error or hung up (either direction should try its call). */
export const FAILED = 4;
/**
 * A socket waits for its error queue alone (`receiveErrors`): registered for no direction, since epoll
 * reports an error (EPOLLERR) whatever a registration asks.
 */
export const ERRORS = 8;

/** epoll(7) values (<sys/epoll.h>; proven against glibc's header by tests/pure/wait_c.test.ts). */
export const EPOLL_VALUES = {
  EPOLLIN: 0x1,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLLET: 0x8000_0000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  EPOLL_CLOEXEC: 0x80000,
  ENOENT: 2,
  EEXIST: 17,
} as const;

/** kqueue values, from Apple's <sys/event.h> (no macOS here to run them). */
export const KQUEUE_VALUES = {
  EVFILT_READ: -1,
  EVFILT_WRITE: -2,
  EV_ADD: 0x1,
  EV_DELETE: 0x2,
  EV_CLEAR: 0x20,
  EV_ERROR: 0x4000,
  EV_EOF: 0x8000,
  /** sizeof(struct kevent) on 64-bit Darwin: ident, filter, flags, fflags, data, udata. */
  SIZE: 32,
} as const;

/**
 * Bytes of one `struct epoll_event` and the offset of its `data`: glibc packs the struct on x86-64 only
 * (`__EPOLL_PACKED`), elsewhere `data` is 8-aligned.
 *
 * @example
 * ```ts
 * import { epollEventLayout } from "./event_values.ts";
 * console.log(epollEventLayout("x86_64")); // { size: 12, data: 4 }
 * ```
 */
export function epollEventLayout(arch: string): { size: number; data: number } {
  return arch === "x86_64" ? { size: 12, data: 4 } : { size: 16, data: 8 };
}
