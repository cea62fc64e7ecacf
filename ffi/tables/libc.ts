/**
 * The libc functions of the POSIX backend, declared once as data with the C prototype beside each.
 *
 * @module
 */
import type { SymbolTable } from "../types.ts";

/** libc.so.6 (glibc). */
export const LIBC = {
  socket: { c: "int socket(int domain, int type, int protocol)", parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: {
    c: "int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)",
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  bind: {
    c: "int bind(int fd, const struct sockaddr *addr, socklen_t len)",
    parameters: ["i32", "buffer", "u32"],
    result: "i32",
  },
  connect: {
    c: "int connect(int fd, const struct sockaddr *addr, socklen_t len)",
    parameters: ["i32", "buffer", "u32"],
    result: "i32",
  },
  getsockopt: {
    c: "int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)",
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  getsockname: {
    c: "int getsockname(int fd, struct sockaddr *addr, socklen_t *len)",
    parameters: ["i32", "buffer", "buffer"],
    result: "i32",
  },
  // ssize_t results of datagram calls are declared i32: the low half of the return register is exact for
  // every value they can return (-1, or at most 65,535), and a 32-bit result needs no conversion
  // wrapper, so the runtimes keep their fast call path on the hot loop.
  recvmsg: {
    c: "ssize_t recvmsg(int fd, struct msghdr *msg, int flags)",
    parameters: ["i32", "buffer", "i32"],
    result: "i32",
  },
  sendmsg: {
    c: "ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)",
    parameters: ["i32", "buffer", "i32"],
    result: "i32",
  },
  sendto: {
    c: "ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)",
    parameters: ["i32", "buffer", "handle", "i32", "buffer", "u32"],
    result: "isize",
  },
  close: { c: "int close(int fd)", parameters: ["i32"], result: "i32" },
  write: {
    c: "ssize_t write(int fd, const void *buf, size_t count)",
    parameters: ["i32", "buffer", "handle"],
    result: "isize",
  },
  read: {
    c: "ssize_t read(int fd, void *buf, size_t count)",
    parameters: ["i32", "buffer", "handle"],
    result: "isize",
  },
} as const satisfies SymbolTable;

/** glibc only: errno's address, and the eventfd that wakes a poll. */
export const LIBC_LINUX = {
  __errno_location: { c: "int *__errno_location(void)", parameters: [], result: "handle" },
  eventfd: { c: "int eventfd(unsigned int initval, int flags)", parameters: ["u32", "i32"], result: "i32" },
  sendmmsg: {
    c: "int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags)",
    parameters: ["i32", "buffer", "u32", "i32"],
    result: "i32",
  },
  recvmmsg: {
    c: "int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout)",
    parameters: ["i32", "buffer", "u32", "i32", "handle"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/**
 * Darwin only: errno's address, and a pipe to wake a poll (no eventfd there). fcntl and ioctl are not
 * used on Darwin: they are variadic, and Apple arm64 passes variadic arguments on the stack, which a
 * fixed FFI declaration does not; receives and sends pass MSG_DONTWAIT instead.
 */
export const LIBC_DARWIN = {
  __error: { c: "int *__error(void)", parameters: [], result: "handle" },
  pipe: { c: "int pipe(int fildes[2])", parameters: ["buffer"], result: "i32" },
} as const satisfies SymbolTable;

/**
 * The C library to open on a POSIX system.
 *
 * @example
 * ```ts
 * import { libcPath } from "./libc.ts";
 * console.log(libcPath("linux")); // "libc.so.6"
 * ```
 */
export function libcPath(os: string): string {
  return os === "darwin" ? "libSystem.B.dylib" : "libc.so.6";
}

/** Interfaces and their addresses (Linux and Darwin alike). */
export const LIBC_IFADDRS = {
  getifaddrs: { c: "int getifaddrs(struct ifaddrs **ifap)", parameters: ["buffer"], result: "i32" },
  freeifaddrs: { c: "void freeifaddrs(struct ifaddrs *ifa)", parameters: ["handle"], result: "void" },
  if_nametoindex: { c: "unsigned int if_nametoindex(const char *ifname)", parameters: ["buffer"], result: "u32" },
  // The list is read by copying its records, addresses and names into one buffer of ours: a call each,
  // without the new ArrayBuffer a readBytes makes. Results that are never used or fit 32 bits are declared
  // so (void, u32), which keeps every runtime on its fast call path.
  memcpy: {
    c: "void *memcpy(void *dest, const void *src, size_t n)",
    parameters: ["buffer", "handle", "handle"],
    result: "void",
  },
  strnlen: { c: "size_t strnlen(const char *s, size_t maxlen)", parameters: ["handle", "handle"], result: "u32" },
} as const satisfies SymbolTable;

/** Names to addresses, for a socket bound or connected by name (Linux and Darwin alike). */
export const LIBC_RESOLVE = {
  getaddrinfo: {
    c: "int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)",
    parameters: ["buffer", "handle", "buffer", "buffer"],
    result: "i32",
  },
  freeaddrinfo: { c: "void freeaddrinfo(struct addrinfo *res)", parameters: ["handle"], result: "void" },
} as const satisfies SymbolTable;

/** poll(2), asked with a timeout of 0 on the JS thread only (waiting itself is the event queue: EPOLL, KQUEUE). */
export const POLL = {
  poll: {
    c: "int poll(struct pollfd *fds, nfds_t nfds, int timeout)",
    parameters: ["buffer", "handle", "i32"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/**
 * Anonymous mappings (Linux): the read-ahead arenas, so that one given back returns to the system at
 * munmap whatever allocator the runtime's ArrayBuffers use (glibc keeps freed heap chunks, and calloc
 * touches every page of a reused one).
 */
export const LIBC_MMAP = {
  mmap: {
    c: "void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)",
    parameters: ["handle", "handle", "i32", "i32", "i32", "handle"],
    result: "handle",
  },
  munmap: { c: "int munmap(void *addr, size_t length)", parameters: ["handle", "handle"], result: "i32" },
  mprotect: {
    c: "int mprotect(void *addr, size_t len, int prot)",
    parameters: ["handle", "handle", "i32"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/**
 * Linux's event queue (epoll), the wait of the POSIX backend (ffi/posix/event_queue.ts): a socket registers its
 * interests once, and a wait returns only the ready ones. `epoll_wait` blocks, so each runtime runs it off the JS
 * thread (Deno: nonblocking; Bun: a worker) or, on Node, with a timeout of 0 when the event loop saw the queue
 * readable.
 */
export const EPOLL = {
  epoll_create1: { c: "int epoll_create1(int flags)", parameters: ["i32"], result: "i32" },
  epoll_ctl: {
    c: "int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)",
    parameters: ["i32", "i32", "i32", "buffer"],
    result: "i32",
  },
  epoll_wait: {
    c: "int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
  },
} as const satisfies SymbolTable;

/** macOS's event queue (kqueue), as Apple's <sys/event.h> declares it (not run here: no macOS to test on). */
export const KQUEUE = {
  kqueue: { c: "int kqueue(void)", parameters: [], result: "i32" },
  kevent: {
    c: "int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist, int nevents, const struct timespec *timeout)",
    parameters: ["i32", "buffer", "i32", "buffer", "i32", "buffer"],
    result: "i32",
  },
} as const satisfies SymbolTable;
