/**
 * Linux errno values a socket call can meet (socket(7), udp(7), ip(7), ipv6(7), setsockopt(2),
 * recvmsg(2), sendmsg(2), poll(2)), with their names and a sentence each. Checked against `<errno.h>`
 * by the Linux compiler test.
 *
 * @module
 */
import type { WinsockErrorInfo } from "./winsock_errors.ts";

const table: readonly (readonly [number, string, string])[] = [
  [1, "EPERM", "The operation is not permitted (a firewall rule, or a privilege the process lacks)."],
  [2, "ENOENT", "No such file or entry."],
  [4, "EINTR", "The call was interrupted by a signal."],
  [5, "EIO", "An input/output error (a driver refused the operation, e.g. a segmentation offload)."],
  [6, "ENXIO", "No such device or address."],
  [9, "EBADF", "The file descriptor is not open (the socket was closed)."],
  [11, "EAGAIN", "The call would block: no datagram is queued (a receive), or the send buffer is full (a send)."],
  [12, "ENOMEM", "There is not enough memory."],
  [13, "EACCES", "Permission denied: a port below 1024 without the capability, or broadcast without SO_BROADCAST."],
  [14, "EFAULT", "A pointer given to the call is outside the process's memory."],
  [16, "EBUSY", "The device or resource is busy."],
  [19, "ENODEV", "No such device: the interface index or name does not exist."],
  [22, "EINVAL", "An argument is invalid."],
  [23, "ENFILE", "Too many files are open in the whole system."],
  [24, "EMFILE", "Too many files are open in this process (RLIMIT_NOFILE)."],
  [32, "EPIPE", "The connection is closed for sending."],
  [38, "ENOSYS", "The system does not implement this call."],
  [64, "ENONET", 'The machine is not on the network (an ICMP "host isolated" reply).'],
  [71, "EPROTO", "A protocol error."],
  [88, "ENOTSOCK", "The file descriptor is not a socket."],
  [89, "EDESTADDRREQ", "A destination address is required: the socket is not connected."],
  [90, "EMSGSIZE", "The datagram is too large (for the socket, or for the path MTU when fragmenting is off)."],
  [91, "EPROTOTYPE", "The protocol is of the wrong type for this socket."],
  [92, "ENOPROTOOPT", "The option or level is unknown or not supported by this socket."],
  [93, "EPROTONOSUPPORT", "The protocol is not supported."],
  [94, "ESOCKTNOSUPPORT", "The socket type is not supported."],
  [95, "EOPNOTSUPP", "The operation is not supported on this socket."],
  [96, "EPFNOSUPPORT", "The protocol family is not supported."],
  [
    97,
    "EAFNOSUPPORT",
    "The address family is not supported (for example IPv6 is disabled, or an IPv6 address on an IPv4 socket).",
  ],
  [98, "EADDRINUSE", "The address and port are already in use by another socket."],
  [99, "EADDRNOTAVAIL", "The address is not an address of this machine (or of the interface named)."],
  [100, "ENETDOWN", "The network (interface) is down."],
  [101, "ENETUNREACH", "The network cannot be reached from this host."],
  [102, "ENETRESET", "The network dropped the connection on reset."],
  [103, "ECONNABORTED", "The connection was aborted."],
  [104, "ECONNRESET", "The connection was reset by the peer."],
  [105, "ENOBUFS", "No buffer space is available."],
  [106, "EISCONN", "The socket is already connected."],
  [107, "ENOTCONN", "The socket is not connected."],
  [110, "ETIMEDOUT", "The operation timed out."],
  [111, "ECONNREFUSED", "An earlier send drew an ICMP port-unreachable reply (the peer's port is closed)."],
  [112, "EHOSTDOWN", "The host is down."],
  [113, "EHOSTUNREACH", "The host cannot be reached."],
  [114, "EALREADY", "An operation is already in progress."],
  [115, "EINPROGRESS", "The operation is now in progress."],
];

/**
 * The Linux errno values by number.
 *
 * @example
 * ```ts
 * import { LINUX_ERRNO } from "@recvmsg/recvmsg/structs";
 * console.log(LINUX_ERRNO.get(98)?.name); // "EADDRINUSE"
 * ```
 */
export const LINUX_ERRNO: ReadonlyMap<number, WinsockErrorInfo> = new Map(
  table.map(([code, name, message]) => [code, { code, name, message }]),
);

const eaiSentences = {
  EAI_NONAME: "The name is not known (no such host, or no address for it).",
  EAI_AGAIN: "The name could not be looked up now (the name server did not answer); try again later.",
  EAI_FAIL: "The name server failed for good.",
  EAI_NODATA: "The name is known but has no address.",
  EAI_FAMILY: "The address family is not supported for this name.",
  EAI_MEMORY: "There is not enough memory to look the name up.",
  EAI_SYSTEM: "A system error stopped the lookup (errno says which).",
} as const;

/**
 * getaddrinfo(3)'s error codes in glibc (`<netdb.h>`: negative numbers), with a sentence each. Checked
 * against the header by the Linux compiler test.
 *
 * @example
 * ```ts
 * import { LINUX_EAI } from "@recvmsg/recvmsg/structs";
 * console.log(LINUX_EAI.get(-2)?.name); // "EAI_NONAME"
 * ```
 */
export const LINUX_EAI: ReadonlyMap<number, WinsockErrorInfo> = eaiTable(
  { EAI_NONAME: -2, EAI_AGAIN: -3, EAI_FAIL: -4, EAI_NODATA: -5, EAI_FAMILY: -6, EAI_MEMORY: -10, EAI_SYSTEM: -11 },
);

/**
 * Darwin's getaddrinfo(3) error codes (XNU's `<netdb.h>`), with the same sentences as Linux's.
 *
 * @example
 * ```ts
 * import { DARWIN_EAI } from "@recvmsg/recvmsg/structs";
 * console.log(DARWIN_EAI.get(8)?.name); // "EAI_NONAME"
 * ```
 */
export const DARWIN_EAI: ReadonlyMap<number, WinsockErrorInfo> = eaiTable(
  { EAI_AGAIN: 2, EAI_FAIL: 4, EAI_FAMILY: 5, EAI_MEMORY: 6, EAI_NODATA: 7, EAI_NONAME: 8, EAI_SYSTEM: 11 },
);

function eaiTable(codes: Record<keyof typeof eaiSentences, number>): ReadonlyMap<number, WinsockErrorInfo> {
  return new Map(
    Object.entries(codes).map(([name, code]) => [
      code,
      { code, name, message: eaiSentences[name as keyof typeof eaiSentences] },
    ]),
  );
}

/**
 * Looks up a getaddrinfo error code of Linux (`darwin`: of macOS); unknown ones get a generic name.
 *
 * @example
 * ```ts
 * import { eaiError } from "@recvmsg/recvmsg/structs";
 * console.log(eaiError(-2, false).name, eaiError(8, true).name); // "EAI_NONAME" "EAI_NONAME"
 * ```
 */
export function eaiError(code: number, darwin: boolean): WinsockErrorInfo {
  return (darwin ? DARWIN_EAI : LINUX_EAI).get(code) ??
    { code, name: `EAI_${code}`, message: `getaddrinfo reported error ${code}, which this module does not know.` };
}

/**
 * Looks up a Linux errno; unknown ones get a generic name and sentence.
 *
 * @example
 * ```ts
 * import { linuxErrno } from "@recvmsg/recvmsg/structs";
 * console.log(linuxErrno(11).name, linuxErrno(4242).name); // "EAGAIN" "ERRNO_4242"
 * ```
 */
export function linuxErrno(code: number): WinsockErrorInfo {
  return LINUX_ERRNO.get(code) ??
    { code, name: `ERRNO_${code}`, message: `The system reported errno ${code}, which this module does not know.` };
}
