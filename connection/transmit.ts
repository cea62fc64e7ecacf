/**
 * What the connection's sends are made of. The send record itself, a "transmit" (one datagram, or one
 * buffer the system cuts into datagrams, with everything that says how it goes), is the backend's
 * {@link Transmit} (ffi/common/backend.ts), re-exported here: one type through every layer. Every send
 * the connection makes — `sendMsg`, a segment of a segmented send, a message of `sendMsgs` — is one,
 * and a queue entry is a list of them. Here: the public batch types, and the copies a waiting send keeps.
 *
 * @module
 */
import type { Transmit } from "../ffi/common/backend.ts";
import { sendCopy } from "../ffi/common/fresh_copy.ts";
import type { SendOptions } from "../message.ts";
import type { SendSource } from "../structs/send_control.ts";

export type { Transmit };

/**
 * A destination: a numeric address and a port.
 *
 * @example
 * ```ts
 * import type { Destination } from "./transmit.ts";
 * const to: Destination = { hostname: "::1", port: 53 };
 * ```
 */
export interface Destination {
  readonly hostname: string;
  readonly port: number;
}

/**
 * One datagram of a batch for `DatagramConn.sendMsgs`: the data, where to (omit on a connected
 * socket), and the same per-datagram options as `sendMsg`.
 *
 * @example
 * ```ts
 * import { listenDatagram, type OutgoingMessage } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" });
 * const m: OutgoingMessage = { data: new Uint8Array([1]), remoteAddr: { hostname: "127.0.0.1", port: 9 }, hopLimit: 8 };
 * await conn.sendMsgs([m]);
 * ```
 */
export interface OutgoingMessage extends Omit<SendOptions, "signal" | "segmentSize"> {
  /** The datagram. */
  data: Uint8Array;
  /** The destination; absent or null sends to the connected peer. */
  remoteAddr?: { hostname: string; port: number } | null;
}

/**
 * What a batch send did: how many datagrams went (the first ones, in order), and what stopped it.
 *
 * @example
 * ```ts
 * import { listenDatagram, type SendMsgsResult } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" });
 * const r: SendMsgsResult = await conn.sendMsgs([{ data: new Uint8Array(1), remoteAddr: conn.addr }]);
 * console.log(r.sent, r.error); // 1 null
 * ```
 */
export interface SendMsgsResult {
  /** The datagrams sent: `messages[0]` to `messages[sent - 1]`. */
  sent: number;
  /**
   * The error of `messages[sent]`, the first that did not go, or null: all went, or (trySendMsgs only)
   * the send buffer filled. A `SocketError` (or `SocketClosedError`) from the system, a TypeError for a
   * destination nothing can be sent to, or the abort signal's `reason` (an Error unless the caller aborted
   * with something else).
   */
  error: Error | null;
}

/**
 * A destination the caller cannot change any more: a frozen one (as receives give them) is kept as it
 * is — the backend can then tell a reply to the same peer — and any other is copied.
 *
 * @example
 * ```ts
 * import { ownDestination } from "./transmit.ts";
 * const to = { hostname: "127.0.0.1", port: 9 };
 * console.log(ownDestination(to) !== to, ownDestination(Object.freeze(to)) === to); // true true
 * ```
 */
export function ownDestination(to: Destination | null | undefined): Destination | null {
  if (to === undefined || to === null) return null;
  if (to === lastFrozenTo) return to;
  if (!Object.isFrozen(to)) return { hostname: to.hostname, port: to.port };
  lastFrozenTo = to;
  return to;
}

/**
 * The last destination and source found frozen: an object once frozen stays so, and a server answers few
 * peers from few addresses, so most held sends ask no more (Object.isFrozen is a call into V8's runtime,
 * 0.8% of a Node echo server's time with held sends).
 */
let lastFrozenTo: Destination | null = null;
let lastFrozenSource: SendSource | undefined;

/**
 * A source the caller cannot change any more: frozen ones kept, others copied (as for destinations).
 *
 * @example
 * ```ts
 * import { ownSource } from "./transmit.ts";
 * const local = { hostname: "127.0.0.2" };
 * console.log(ownSource(local) !== local); // true
 * ```
 */
export function ownSource(source: SendSource | undefined): SendSource | undefined {
  if (source === undefined || source === lastFrozenSource) return source;
  if (!Object.isFrozen(source)) return { hostname: source.hostname, interfaceIndex: source.interfaceIndex };
  lastFrozenSource = source;
  return source;
}

/**
 * A transmit that may wait: its bytes, destination and source copied now, as a send made now would
 * have read them now (frozen addresses kept).
 *
 * @example
 * ```ts
 * import { waitingCopy } from "./transmit.ts";
 * const data = new Uint8Array([1]);
 * const t = waitingCopy({ data, to: null, source: undefined, hopLimit: undefined, trafficClass: undefined, segmentSize: undefined });
 * console.log(t.data !== data); // true
 * ```
 */
export function waitingCopy(t: Transmit): Transmit {
  return {
    // Carved from a chunk of send copies where the runtime makes new arrays slowly (1.3 µs each on Deno).
    data: sendCopy(t.data),
    to: ownDestination(t.to),
    source: ownSource(t.source),
    hopLimit: t.hopLimit,
    trafficClass: t.trafficClass,
    segmentSize: t.segmentSize,
  };
}
