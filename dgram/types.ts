/**
 * The types of `recvmsg/dgram`'s API, as node:dgram's (and `send`'s parts and callback).
 *
 * @module
 */
import type { BlockList } from "node:net";

/** `"udp4"` or `"udp6"`. */
export type SocketType = "udp4" | "udp6";

/** One datagram's bytes: a string (UTF-8), or any view of bytes. */
export type Part = string | ArrayBufferView;
/** A datagram: one part, or parts sent as one datagram. */
export type Message = Part | readonly Part[];
/** `send`'s callback: the error (`send EMSGSIZE 127.0.0.1:9`), or null and the bytes sent. */
export type SendCallback = (error: Error | null, bytes?: number) => void;

/** A `lookup` function as `dns.lookup` is: `(hostname, family, callback(err, address, family))`. */
export type LookupFunction = (
  hostname: string,
  options: number | { family?: number },
  callback: (err: Error | null, address: string, family?: number) => void,
) => void;

/** Options of `createSocket`, as node:dgram's. */
export interface SocketOptions {
  /** `"udp4"` or `"udp6"`. */
  type: SocketType;
  /** SO_REUSEADDR when binding. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT when binding (share the port with other sockets that ask for it). */
  reusePort?: boolean;
  /** A `udp6` socket refuses IPv4 (no dual stack). */
  ipv6Only?: boolean;
  /** SO_RCVBUF in bytes. */
  recvBufferSize?: number;
  /** SO_SNDBUF in bytes. */
  sendBufferSize?: number;
  /** Resolves names (default `dns.lookup`). */
  lookup?: LookupFunction;
  /** Closes the socket when aborted. */
  signal?: AbortSignal;
  /** Datagrams from these addresses are dropped. */
  receiveBlockList?: BlockList;
  /** Sends and connects to these addresses fail with `ERR_IP_BLOCKED`. */
  sendBlockList?: BlockList;
}

/** Options of `Socket.bind`. */
export interface BindOptions {
  /** The port; 0 or absent: the system picks one. */
  port?: number;
  /** The address (a name is resolved); default `0.0.0.0` / `::`. */
  address?: string;
  /** Accepted for node:dgram's sake; there is no cluster to share with. */
  exclusive?: boolean;
  /** Adopt this already bound UDP socket (a file descriptor). */
  fd?: number;
}

/** An address as `address()` and `remoteAddress()` give it. */
export interface AddressInfo {
  /** The numeric address. */
  address: string;
  /** `"IPv4"` or `"IPv6"`. */
  family: "IPv4" | "IPv6";
  /** The port. */
  port: number;
}
