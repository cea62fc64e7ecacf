/**
 * The socket-wide sender options a connection sets after it is open — multicast interface, loopback
 * and hop limit, broadcast, unicast hop limit, don't-fragment, send buffer size — checked, then set on
 * every family the socket carries, written as the backend's option dialect says
 * (`BackendSocket.optionDialect`, ffi/common/option_dialect.ts). Not memberships: those are multicast.ts.
 *
 * @module
 */
import type { BackendSocket } from "../ffi/common/backend.ts";
import type { InterfaceLookup } from "../ffi/select.ts";
import type { SettableOption } from "../ffi/tables/settings.ts";
import { describeValue as describe } from "../structs/describe.ts";

/**
 * The options that take a boolean (set as 0 or 1).
 *
 * @example
 * ```ts
 * import type { FlagOption } from "./sender_options.ts";
 * const option: FlagOption = "broadcast";
 * ```
 */
export type FlagOption = "multicastLoopback" | "broadcast" | "dontFragment";

/**
 * The sender options of one socket.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0" }); // its setters go through SenderOptions
 * conn.setBroadcast(true);
 * conn.setHopLimit(64);
 * ```
 */
export class SenderOptions {
  readonly #socket: BackendSocket;
  readonly #interfaces: InterfaceLookup;
  #closed = false;

  /** Sets the options of `socket` in its dialect; `interfaces` gives an interface's address where it takes one. */
  constructor(socket: BackendSocket, interfaces: InterfaceLookup) {
    this.#socket = socket;
    this.#interfaces = interfaces;
  }

  /** A boolean option, checked as one before it is set as 0 or 1. */
  setFlag(option: FlagOption, on: boolean, method: string): void {
    if (typeof on !== "boolean") throw new TypeError(`${method}: on must be a boolean, got ${describe(on)}`);
    this.set(option, on ? 1 : 0, 0, 1, method, "on");
  }

  /** A numeric option, checked against `min`...`max` (the error names `param`), then set. */
  set(option: SettableOption, value: number, min: number, max: number, method: string, param: string): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`${method}: ${param} must be an integer from ${min} to ${max}, got ${describe(value)}`);
    }
    if (this.#closed) throw this.#socket.closedError("setsockopt");
    const socket = this.#socket;
    const dialect = socket.optionDialect;
    // IPv4 requests that take the interface as an address (Windows; Wine takes no index) get its own.
    const v4 = dialect.ipv4InterfaceByAddress && option === "multicastInterface" && value !== 0
      ? this.#interfaces.address(value)
      : null;
    for (const r of dialect.settings(option, value, socket.families, v4)) {
      this.#socket.setRawOption(r.level, r.name, r.bytes, r.label);
    }
  }

  /** The socket closed: setting fails with its closed error from now on. */
  close(): void {
    this.#closed = true;
  }
}
