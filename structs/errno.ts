/**
 * Linux errno values a datagram socket can meet, with their names and a sentence each. Checked
 * against `<errno.h>` by the Linux compiler test.
 *
 * @module
 */
import type { WinsockErrorInfo } from "./winsock_errors.ts";

const table: readonly (readonly [number, string, string])[] = [
  [1, "EPERM", "The operation is not permitted."],
  [4, "EINTR", "The call was interrupted by a signal."],
  [9, "EBADF", "The file descriptor is not open (the socket was closed)."],
  [11, "EAGAIN", "The call would block: no datagram is queued (a receive), or the send buffer is full (a send)."],
  [12, "ENOMEM", "There is not enough memory."],
  [13, "EACCES", "Permission denied: a port below 1024 without the capability, or broadcast without SO_BROADCAST."],
  [14, "EFAULT", "A pointer given to the call is outside the process's memory."],
  [22, "EINVAL", "An argument is invalid."],
  [24, "EMFILE", "Too many files are open in this process."],
  [88, "ENOTSOCK", "The file descriptor is not a socket."],
  [90, "EMSGSIZE", "The datagram is too large."],
  [92, "ENOPROTOOPT", "The option or level is unknown or not supported by this socket."],
  [95, "EOPNOTSUPP", "The operation is not supported on this socket."],
  [97, "EAFNOSUPPORT", "The address family is not supported (for example IPv6 is disabled)."],
  [98, "EADDRINUSE", "The address and port are already in use by another socket."],
  [99, "EADDRNOTAVAIL", "The address is not an address of this machine."],
  [101, "ENETUNREACH", "The network cannot be reached from this host."],
  [105, "ENOBUFS", "No buffer space is available."],
  [107, "ENOTCONN", "The socket is not connected."],
  [110, "ETIMEDOUT", "The operation timed out."],
  [111, "ECONNREFUSED", "An earlier send drew an ICMP port-unreachable reply (the peer's port is closed)."],
  [113, "EHOSTUNREACH", "The host cannot be reached."],
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
export const LINUX_ERRNO: ReadonlyMap<number, WinsockErrorInfo> = new Map(table.map(([code, name, message]) => [code, { code, name, message }]));

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
  return LINUX_ERRNO.get(code) ?? { code, name: `ERRNO_${code}`, message: `The system reported errno ${code}, which this module does not know.` };
}
