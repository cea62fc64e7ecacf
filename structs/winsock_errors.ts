/**
 * Winsock error codes with their SDK names and a sentence for each that says what it means for a
 * datagram receiver. The first group is every code the WSARecvMsg reference names; the rest are
 * codes the other calls this module makes (socket, bind, setsockopt, WSAIoctl) can return.
 *
 * @module
 */

/** One Winsock error: its number, its SDK name and what it means. */
export interface WinsockErrorInfo {
  /** The number. */
  readonly code: number;
  /** The SDK name, e.g. `"WSAEMSGSIZE"`. */
  readonly name: string;
  /** A sentence saying what it means. */
  readonly message: string;
}

const table: readonly (readonly [number, string, string])[] = [
  // Named by the WSARecvMsg contract.
  [
    10054,
    "WSAECONNRESET",
    "The connection was reset: on a UDP socket, an earlier send drew an ICMP port-unreachable reply, which Windows reports on the next receive.",
  ],
  [
    10014,
    "WSAEFAULT",
    "A pointer given to the call is not valid memory of the process, or a buffer is too small (the sender address buffer, or a NULL name or control buffer with a non-zero length).",
  ],
  [10036, "WSAEINPROGRESS", "A blocking Winsock call is already in progress on this thread."],
  [10004, "WSAEINTR", "A blocking call was interrupted by WSACancelBlockingCall."],
  [
    10022,
    "WSAEINVAL",
    "An argument is invalid, or the socket has not been bound (a datagram socket must be bound before it can receive).",
  ],
  [
    10040,
    "WSAEMSGSIZE",
    "The datagram was larger than the buffers given; the first part was delivered and the rest discarded.",
  ],
  [10050, "WSAENETDOWN", "The network subsystem has failed."],
  [10052, "WSAENETRESET", "For a datagram socket, the time to live of the datagram expired."],
  [10057, "WSAENOTCONN", "The socket is not connected (a connection-oriented socket was given to a datagram call)."],
  [
    10060,
    "WSAETIMEDOUT",
    "The receive timed out (SO_RCVTIMEO expired), or the connection was dropped by a network failure.",
  ],
  [
    10045,
    "WSAEOPNOTSUPP",
    "The operation is not supported on this socket: for example MSG_PEEK on a non-datagram socket, or WSARecvMsg on a stream socket.",
  ],
  [
    10035,
    "WSAEWOULDBLOCK",
    "The call would block: no datagram is queued (a receive), the send buffer is full (a send), or too many overlapped operations are outstanding.",
  ],
  [10093, "WSANOTINITIALISED", "WSAStartup has not been called successfully in this process."],
  [997, "WSA_IO_PENDING", "An overlapped operation was started and will complete later."],
  [
    995,
    "WSA_OPERATION_ABORTED",
    "The overlapped operation was cancelled because the socket was closed or the issuing thread exited.",
  ],
  // Other calls on the way.
  [996, "WSA_IO_INCOMPLETE", "The overlapped operation has not completed yet."],
  [6, "WSA_INVALID_HANDLE", "An event or socket handle given to the call is not valid."],
  [87, "WSA_INVALID_PARAMETER", "One or more parameters are invalid."],
  [8, "WSA_NOT_ENOUGH_MEMORY", "There is not enough memory to complete the operation."],
  [
    10013,
    "WSAEACCES",
    "Permission denied: the address is reserved or exclusively bound by another socket, or broadcast was not enabled with SO_BROADCAST.",
  ],
  [10024, "WSAEMFILE", "Too many sockets are open."],
  [10038, "WSAENOTSOCK", "The handle is not a socket, or the socket has been closed."],
  [10039, "WSAEDESTADDRREQ", "A destination address is required."],
  [10041, "WSAEPROTOTYPE", "The protocol does not fit the socket type."],
  [
    10042,
    "WSAENOPROTOOPT",
    "The option or level is unknown, or not supported by this socket or this version of Windows.",
  ],
  [10043, "WSAEPROTONOSUPPORT", "The protocol is not supported."],
  [10044, "WSAESOCKTNOSUPPORT", "The socket type is not supported in this address family."],
  [10047, "WSAEAFNOSUPPORT", "The address family is not supported (for example IPv6 is not installed)."],
  [10048, "WSAEADDRINUSE", "The address and port are already in use by another socket."],
  [10049, "WSAEADDRNOTAVAIL", "The address is not an address of this machine, or not valid in this context."],
  [10051, "WSAENETUNREACH", "The network cannot be reached from this host."],
  [10055, "WSAENOBUFS", "No buffer space is available."],
  [10056, "WSAEISCONN", "The socket is already connected."],
  [10058, "WSAESHUTDOWN", "The socket has been shut down for this direction."],
  [10061, "WSAECONNREFUSED", "The peer refused the connection."],
  [10065, "WSAEHOSTUNREACH", "The host cannot be reached."],
  [10091, "WSASYSNOTREADY", "The network subsystem is not ready."],
  [10092, "WSAVERNOTSUPPORTED", "This Winsock does not support version 2.2."],
  // What getaddrinfo returns (it returns its error rather than setting WSAGetLastError).
  [11001, "WSAHOST_NOT_FOUND", "The name is not known (no such host)."],
  [11002, "WSATRY_AGAIN", "The name could not be looked up now (the name server did not answer); try again later."],
  [11003, "WSANO_RECOVERY", "The name server failed for good."],
  [11004, "WSANO_DATA", "The name is known but has no address of the family asked for."],
  [10109, "WSATYPE_NOT_FOUND", "The service or socket type is not supported."],
  [8, "WSA_NOT_ENOUGH_MEMORY", "There is not enough memory."],
];

/**
 * The codes, keyed by number.
 *
 * @example
 * ```ts
 * import { WINSOCK_ERRORS } from "@recvmsg/recvmsg/structs";
 * console.log(WINSOCK_ERRORS.get(10040)?.name); // "WSAEMSGSIZE"
 * ```
 */
export const WINSOCK_ERRORS: ReadonlyMap<number, WinsockErrorInfo> = new Map(
  table.map(([code, name, message]) => [code, { code, name, message }]),
);

/**
 * The names of the codes the WSARecvMsg contract lists, in its order.
 *
 * @example
 * ```ts
 * import { CONTRACT_ERROR_NAMES } from "@recvmsg/recvmsg/structs";
 * console.log(CONTRACT_ERROR_NAMES.includes("WSAEMSGSIZE")); // true
 * ```
 */
export const CONTRACT_ERROR_NAMES: readonly string[] = table.slice(0, 15).map(([, name]) => name);

/**
 * Looks up a Winsock code; unknown codes get a generic name and sentence rather than nothing.
 *
 * @example
 * ```ts
 * import { winsockError } from "@recvmsg/recvmsg/structs";
 * console.log(winsockError(10022).name); // "WSAEINVAL"
 * console.log(winsockError(12345).name); // "WSA_UNKNOWN_12345"
 * ```
 */
export function winsockError(code: number): WinsockErrorInfo {
  return WINSOCK_ERRORS.get(code) ??
    { code, name: `WSA_UNKNOWN_${code}`, message: `Winsock reported error ${code}, which this module does not know.` };
}
