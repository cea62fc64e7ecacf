/**
 * What both backends' interface lists give: the records of {@link NetworkInterface}, and the prefix
 * length of a netmask.
 *
 * @module
 */

/** One address of an interface. */
export interface InterfaceAddress {
  /** `"IPv4"` or `"IPv6"`. */
  readonly family: "IPv4" | "IPv6";
  /** The numeric address (without a zone; see `scopeId`). */
  readonly address: string;
  /** The length of the network prefix (the netmask's bits). */
  readonly prefixLength: number;
  /** IPv6 scoped (link-local) addresses: the zone, which is the interface index. */
  readonly scopeId?: number;
  /** Linux: the address's label when it has its own (`ip addr add … label eth0:web`); the address stays on its interface. */
  readonly label?: string;
}

/** A network interface of this machine. */
export interface NetworkInterface {
  /** The index packet info reports as `interfaceIndex`, and joins and sends take. */
  readonly index: number;
  /** The system's name: `eth0` on Linux, `en0` on macOS, the adapter's friendly name on Windows. */
  readonly name: string;
  /** Administratively and operationally up. */
  readonly up: boolean;
  /** A loopback interface. */
  readonly loopback: boolean;
  /** Able to send and receive multicast. */
  readonly multicast: boolean;
  /** Every unicast address, IPv4 first. */
  readonly addresses: readonly InterfaceAddress[];
}

const BITS = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/**
 * The prefix length of the netmask `bytes[from, to)`: its one bits.
 *
 * @example
 * ```ts
 * import { prefixOf } from "./interface_types.ts";
 * console.log(prefixOf(new Uint8Array([255, 255, 255, 0]), 0, 4)); // 24
 * ```
 */
export function prefixOf(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += BITS[bytes[i] >> 4] + BITS[bytes[i] & 0xf];
  return n;
}
