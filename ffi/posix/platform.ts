/**
 * What differs between the POSIX systems the backend serves (Linux, macOS): constants, layouts, the
 * errno table and the option tables, chosen once for the system this runs on.
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import { type AncillaryDialect, DARWIN_DIALECT, LINUX_DIALECT } from "../../structs/ancillary.ts";
import { DARWIN as D, DARWIN_ERRNO, DRW } from "../../structs/darwin.ts";
import { linuxErrno } from "../../structs/errno.ts";
import type { Layout } from "../../structs/layout.ts";
import type { WinsockErrorInfo } from "../../structs/winsock_errors.ts";
import { LINUX as L, LNX } from "../../structs/linux.ts";
import type { Families } from "../../structs/sockaddr.ts";
import {
  DARWIN_OPEN,
  DARWIN_OPTIONS,
  LINUX_OPEN,
  LINUX_OPTIONS,
  type OpenOptionTable,
  type OptionRow,
} from "../tables/socket_options.ts";
import { native } from "../native.ts";

/** What differs between the POSIX systems this backend serves. */
export interface Platform {
  readonly os: "linux" | "darwin";
  readonly C: {
    readonly AF_INET: number;
    readonly AF_INET6: number;
    readonly SOCK_DGRAM: number;
    readonly SOCK_RAW: number;
    readonly IPPROTO_IP: number;
    readonly IPPROTO_IPV6: number;
    readonly IPPROTO_UDP: number;
    readonly SOL_SOCKET: number;
    readonly SO_REUSEADDR: number;
    readonly SO_REUSEPORT: number;
    readonly SO_BROADCAST: number;
    readonly SO_RCVBUF: number;
    readonly IP_PKTINFO: number;
    readonly IP_RECVTTL: number;
    readonly IPV6_V6ONLY: number;
    readonly IPV6_RECVPKTINFO: number;
    readonly IPV6_RECVHOPLIMIT: number;
    readonly MSG_PEEK: number;
    readonly MSG_TRUNC: number;
    readonly MSG_CTRUNC: number;
    readonly MSG_DONTWAIT: number;
  };
  /** Flags added to socket(2)'s type: non-blocking and close-on-exec where the system has them. */
  readonly socketFlags: number;
  /** The first two bytes of a sockaddr as one little-endian u16 (Darwin: sin_len, then the family). */
  readonly families: Families;
  readonly dialect: AncillaryDialect;
  readonly msghdr: Layout;
  readonly iovec: Layout;
  readonly pktinfoSize: number;
  readonly pktinfo6Size: number;
  readonly sendPlatform: "linux" | "darwin";
  readonly errno: (code: number) => WinsockErrorInfo;
  readonly EAGAIN: number;
  readonly EBADF: number;
  readonly EINVAL: number;
  readonly EDESTADDRREQ: number;
  /** The receive-side options (ffi/tables/socket_options.ts). */
  readonly options: readonly OptionRow[];
  /** The options set at open. */
  readonly open: OpenOptionTable;
}

const LINUX_PLATFORM: Platform = {
  os: "linux",
  C: L,
  socketFlags: L.SOCK_NONBLOCK | L.SOCK_CLOEXEC,
  families: { inet: L.AF_INET, inet6: L.AF_INET6 },
  dialect: LINUX_DIALECT,
  msghdr: LNX.msghdr,
  iovec: LNX.iovec,
  pktinfoSize: LNX.in_pktinfo.size,
  pktinfo6Size: LNX.in6_pktinfo.size,
  sendPlatform: "linux",
  errno: linuxErrno,
  EAGAIN: 11,
  EBADF: 9,
  EINVAL: 22,
  EDESTADDRREQ: 89,
  options: LINUX_OPTIONS,
  open: LINUX_OPEN,
};

const DARWIN_PLATFORM: Platform = {
  os: "darwin",
  C: { ...D, IP_RECVTTL: D.IP_RECVTTL },
  // No SOCK_NONBLOCK on Darwin: every call passes MSG_DONTWAIT instead (see LIBC_DARWIN on fcntl).
  socketFlags: 0,
  families: { inet: (D.AF_INET << 8) | DRW.sockaddr_in.size, inet6: (D.AF_INET6 << 8) | DRW.sockaddr_in6.size },
  dialect: DARWIN_DIALECT,
  msghdr: DRW.msghdr,
  iovec: DRW.iovec,
  pktinfoSize: DRW.in_pktinfo.size,
  pktinfo6Size: DRW.in6_pktinfo.size,
  sendPlatform: "darwin",
  errno: (code) => DARWIN_ERRNO.get(code) ?? linuxErrno(-code),
  EAGAIN: 35,
  EBADF: 9,
  EINVAL: 22,
  EDESTADDRREQ: 39,
  options: DARWIN_OPTIONS,
  open: DARWIN_OPEN,
};

/** The platform this process runs on. */
export const P: Platform = native.os === "darwin" ? DARWIN_PLATFORM : LINUX_PLATFORM;

/**
 * The error for an errno value set by `syscall`.
 *
 * @example
 * ```ts
 * import { errnoFailure } from "./platform.ts";
 * console.log(errnoFailure(22, "sendmsg").code); // "EINVAL" (Linux)
 * ```
 */
export function errnoFailure(errno: number, syscall: string): SocketError {
  const e = P.errno(errno);
  return new SocketError(e.name, e.code, syscall, e.message);
}

/**
 * Writes an unsigned field of 4 or 8 bytes (size_t on Linux, int / socklen_t on Darwin). Values here
 * are below 2^32, so an 8-byte field is two 32-bit halves: no BigInt made on every receive.
 *
 * @example
 * ```ts
 * import { setSized } from "./platform.ts";
 * setSized(new DataView(new ArrayBuffer(8)), 0, 8, 5);
 * ```
 */
export function setSized(dv: DataView, at: number, size: number, value: number): void {
  dv.setUint32(at, value, true);
  if (size === 8) dv.setUint32(at + 4, 0, true);
}
