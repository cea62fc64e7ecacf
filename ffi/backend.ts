/**
 * What an operating system backend provides to the connection layer. The connection layer keeps the
 * queue of waiting receives, validates arguments and exposes the API; a backend only makes calls.
 *
 * @module
 */
import type { SocketClosedError } from "../errors.ts";
import type { DatagramMessage, ListenOptions, NetAddr } from "../message.ts";

/** One receive as the backend performs it, arguments already validated. */
export interface ReceiveRequest {
  /** The caller's buffer, or null for a fresh copy. */
  readonly target: Uint8Array | null;
  /** The most bytes to read. */
  readonly capacity: number;
  readonly peek: boolean;
  readonly controlSize: number;
}

/** An open datagram socket of some backend. */
export interface BackendSocket {
  /** The address the socket is bound to. */
  readonly addr: NetAddr;
  /** The control-buffer size that holds everything the socket's options ask for, with room to spare. */
  readonly defaultControlSize: number;
  /** The smallest control buffer that can hold any one record the options ask for (0 when none). */
  readonly requiredControlSize: number;
  /** The largest control buffer a receive may ask for. */
  readonly maxControlSize: number;
  /** One receive without waiting: a message, or null when nothing is queued. Throws SocketError. */
  tryReceive(request: ReceiveRequest): DatagramMessage | null;
  /**
   * Calls `onReadable` once, on the JS thread, when a datagram may be waiting (or the socket fails or
   * closes). No polling: the wait happens in the system. Calling it again before it fired does nothing.
   */
  whenReadable(onReadable: () => void): void;
  /** While true, a pending wait keeps the process alive. */
  keepAlive(on: boolean): void;
  /** Sends one datagram; returns the bytes sent. */
  sendTo(data: Uint8Array, to: { hostname: string; port: number }): number;
  /** The error for a receive or send on this socket once it is closed (its code is the platform's). */
  closedError(syscall?: string): SocketClosedError;
  /** Closes the socket. Memory the system may still write is released only after it is done. */
  close(): void;
}

/** Socket options as the backend takes them: every default filled in. */
export type OpenOptions = Required<Omit<ListenOptions, "receiveBufferSize">> & { receiveBufferSize?: number };

/** A backend: opens sockets, or adopts one made elsewhere. */
export interface Backend {
  readonly name: string;
  open(options: OpenOptions): BackendSocket;
  /** Adopts an existing socket handle (a Winsock SOCKET or a file descriptor); it is closed with the connection. */
  wrap(handle: bigint, ipv6: boolean, options: OpenOptions): BackendSocket;
}
