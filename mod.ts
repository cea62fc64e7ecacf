/**
 * recvmsg: UDP for Deno, Bun and Node with each datagram's ancillary data — the local address and
 * interface it arrived on, truncation, broadcast and multicast flags, hop limit — which the
 * runtimes' own UDP APIs do not give. On Windows it calls Winsock's WSARecvMsg through the
 * runtime's FFI. Run with `--allow-ffi` (Deno), as is (Bun), or on Node 26.10+ as is (26.1 to 26.9: `--experimental-ffi`).
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 *
 * // A server bound to every address that learns which address each request reached.
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353 });
 * for await (const msg of conn.messages()) {
 *   console.log(`${msg.remoteAddr.hostname}:${msg.remoteAddr.port} -> ${msg.localAddr?.hostname} (if ${msg.localAddr?.interfaceIndex})`);
 * }
 * ```
 *
 * @module
 */
export { type AnyAddr, DatagramConn } from "./connection/conn.ts";
export { ErrorQueueReader } from "./connection/error_reader.ts";
export { SocketSettings } from "./connection/socket_settings.ts";
export {
  connectDatagram,
  type ConnectOptions,
  listenDatagram,
  type WrapOptions,
  wrapSocket,
} from "./connection/open.ts";
export type { MulticastV4Membership, MulticastV6Membership } from "./connection/multicast.ts";
export type { OutgoingMessage, SendMsgsResult } from "./connection/transmit.ts";
export { type JoinOptions, MulticastMembership } from "./connection/multicast.ts";
export { interfaceByIndex, interfaces } from "./connection/interfaces.ts";
export type { InterfaceAddress, NetworkInterface } from "./connection/interfaces.ts";
export { SocketClosedError, SocketError, winsockFailure } from "./errors.ts";
export type {
  BatchOptions,
  DatagramMessage,
  ListenOptions,
  LocalAddr,
  NetAddr,
  QueuedError,
  ReceiveOptions,
  SendOptions,
} from "./message.ts";
export { splitSegments } from "./message.ts";
export type { ControlMessage } from "./structs/cmsg.ts";
export { MSG_BCAST, MSG_CTRUNC, MSG_MCAST, MSG_PEEK, MSG_TRUNC } from "./ffi/select.ts";
