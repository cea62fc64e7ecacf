/**
 * The backend for this operating system, and what the connection layer must know about the platform,
 * given as data and plain functions: the connection never asks which OS it is on, it asks this record.
 * The only place above the backends that reads `native.os`.
 *
 * @module
 */
import type { Backend } from "./common/backend.ts";
import { listInterfaces } from "./common/interfaces.ts";
import { native } from "./native.ts";
import { posix } from "./posix/posix.ts";
import {
  membershipRequest,
  type MembershipSpec,
  type RawOption,
  type SettableOption,
  settings,
} from "./tables/settings.ts";
import { winsock } from "./winsock/winsock.ts";
import { parseIPv4 } from "../structs/ip.ts";

/**
 * Interfaces by IPv4 address and IPv4 addresses by interface, for the system requests that take one or the other.
 *
 * @example
 * ```ts
 * import { systemInterfaces, type InterfaceLookup } from "./select.ts";
 * const lookup: InterfaceLookup = systemInterfaces;
 * console.log(lookup.address(1)); // loopback's address, 127.0.0.1, on Linux
 * ```
 */
export interface InterfaceLookup {
  /** The index of the interface that has this IPv4 address, or null. */
  index(address: Uint8Array): number | null;
  /** The first IPv4 address of interface `index`, or null. */
  address(index: number): Uint8Array | null;
}

/**
 * How this platform's multicast requests name an interface, and the requests themselves.
 *
 * @example
 * ```ts
 * import { platform } from "./select.ts";
 * console.log(platform.multicast.indexOnly(true)); // true but on Windows
 * ```
 */
export interface MulticastRules {
  /**
   * Whether a join that names its interface by address must name it by index instead (the system's
   * request has no address field): macOS any-source joins, and every source-specific join but Windows'.
   */
  indexOnly(sourceSpecific: boolean): boolean;
  /** Whether IPv4 requests name the interface by one of its addresses (Windows: Wine takes no index). */
  readonly ipv4ByAddress: boolean;
  /** The join or leave request for a membership. */
  request(join: boolean, spec: MembershipSpec): RawOption;
  /** The setsockopt calls that set a sender option on every family the socket carries. */
  settings(option: SettableOption, value: number, families: { ipv4: boolean; ipv6: boolean }): RawOption[];
  /** This machine's interfaces, asked only when a request needs the other half of index and address. */
  readonly interfaces: InterfaceLookup;
}

/**
 * What the connection layer knows of the platform: the backend, and the few rules that differ by OS.
 *
 * @example
 * ```ts
 * import { platform } from "./select.ts";
 * console.log(platform.handles.range); // "a file descriptor from 0 to 2^31-1" but on Windows
 * ```
 */
export interface Platform {
  /** Opens and adopts sockets. */
  readonly backend: Backend;
  /**
   * Why a send cannot carry its own DSCP here, as a sentence; null where it can. (Windows takes DSCP
   * only through its QoS API; ECN it takes per datagram.)
   */
  readonly dscpRefusal: string | null;
  /** The largest socket handle, and how to describe the range in an error. */
  readonly handles: { readonly max: bigint; readonly range: string };
  /** Multicast requests and their interface rules. */
  readonly multicast: MulticastRules;
}

/**
 * The interface lookup over `interfaces()` (getifaddrs / GetAdaptersAddresses), asked each time: the
 * machine's interfaces change while a program runs.
 *
 * @example
 * ```ts
 * import { systemInterfaces } from "./select.ts";
 * console.log(systemInterfaces.index(new Uint8Array([127, 0, 0, 1]))); // 1 on Linux
 * ```
 */
export const systemInterfaces: InterfaceLookup = {
  index(address) {
    const text = address.join(".");
    return listInterfaces().find((i) => i.addresses.some((a) => a.family === "IPv4" && a.address === text))?.index ??
      null;
  },
  address(index) {
    const a = listInterfaces().find((i) => i.index === index)?.addresses.find((x) => x.family === "IPv4");
    return a ? parseIPv4(a.address) : null;
  },
};

/**
 * The platform record of an operating system (by `native.os`'s name), with the interface lookup it uses.
 *
 * @example
 * ```ts
 * import { platformFor, systemInterfaces } from "./select.ts";
 * console.log(platformFor("windows", systemInterfaces).dscpRefusal !== null); // true
 * ```
 */
export function platformFor(os: string, interfaces: InterfaceLookup): Platform {
  const windows = os === "windows";
  return Object.freeze({
    get backend(): Backend {
      if (windows) return winsock;
      if (os === "linux" || os === "darwin") return posix;
      throw new Error(
        `recvmsg: no backend for ${os}; this version implements Windows (WSARecvMsg), Linux and macOS (recvmsg).`,
      );
    },
    dscpRefusal: windows
      ? "dscp cannot be set per datagram on Windows (it takes DSCP only through its QoS API); ecn can"
      : null,
    handles: windows
      ? { max: 2n ** 64n - 2n, range: "a SOCKET from 0 to 2^64-2" }
      : { max: 2n ** 31n - 1n, range: "a file descriptor from 0 to 2^31-1" },
    multicast: Object.freeze({
      indexOnly: (sourceSpecific: boolean) => sourceSpecific ? !windows : os === "darwin",
      ipv4ByAddress: windows,
      request: (join: boolean, spec: MembershipSpec) => membershipRequest(os, join, spec),
      settings(option: SettableOption, value: number, families: { ipv4: boolean; ipv6: boolean }) {
        // Windows' IPv4 multicast interface by its address where it has one (Wine takes no index).
        const v4 = windows && option === "multicastInterface" && value !== 0 ? interfaces.address(value) : null;
        return settings(os, option, value, families, v4);
      },
      interfaces,
    }),
  });
}

/**
 * This machine's platform: the backend for the OS the runtime reports, and its rules.
 *
 * @example
 * ```ts
 * import { platform } from "./select.ts";
 * console.log(platform.backend.name); // "posix" on Linux and macOS, "winsock" on Windows
 * ```
 */
export const platform: Platform = platformFor(native.os, systemInterfaces);
