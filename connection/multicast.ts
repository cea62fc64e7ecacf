/**
 * Multicast group membership: the argument checks, the membership objects, and the join and leave
 * requests, which the backend's option dialect (`BackendSocket.optionDialect`) builds from the tables of
 * ffi/tables/settings.ts.
 * Used by {@link DatagramConn}. The socket-wide sender options are in sender_options.ts.
 *
 * @module
 */
import type { BackendSocket } from "../ffi/common/backend.ts";
import type { MembershipSpec } from "../ffi/tables/settings.ts";
import type { InterfaceLookup } from "../ffi/select.ts";
import { describeValue } from "../structs/describe.ts";
import { refuseUnknownKeys } from "./checks.ts";
import { isV4Mapped, parseIPv4, parseIPv6 } from "../structs/ip.ts";
import { stripBrackets } from "../structs/sockaddr.ts";

/**
 * What `joinMulticastV4` resolves to: `Deno.MulticastV4Membership`'s shape.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353 });
 * const m = await conn.joinMulticastV4("224.0.0.251", "0.0.0.0");
 * await m.setTTL(1);
 * await m.leave();
 * ```
 */
export interface MulticastV4Membership {
  /** Leaves the group. */
  leave(): Promise<void>;
  /** Whether this socket's multicast sends loop back to members on this host. */
  setLoopback(loopback: boolean): Promise<void>;
  /** The TTL of this socket's multicast sends. */
  setTTL(ttl: number): Promise<void>;
}

/**
 * What `joinMulticastV6` resolves to: `Deno.MulticastV6Membership`'s shape.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "::", port: 5353 });
 * const m = await conn.joinMulticastV6("ff02::fb", 2);
 * await m.leave();
 * ```
 */
export interface MulticastV6Membership {
  /** Leaves the group. */
  leave(): Promise<void>;
  /** Whether this socket's multicast sends loop back to members on this host. */
  setLoopback(loopback: boolean): Promise<void>;
}

/** The keys {@link JoinOptions} may have: a misspelt one is refused. */
const JOIN_KEYS: ReadonlySet<string> = new Set(["interfaceIndex", "interfaceAddress", "source"]);

/**
 * Where and from whom to receive a group's datagrams.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353, reusePort: true });
 * using m = conn.joinMulticast("232.1.1.1", { interfaceAddress: "127.0.0.1", source: "127.0.0.1" });
 * ```
 */
export interface JoinOptions {
  /** The interface to join on, by index (see `interfaces()`); 0 or absent lets the system choose. */
  interfaceIndex?: number;
  /** IPv4 groups: the interface to join on, by one of its addresses (instead of `interfaceIndex`). */
  interfaceAddress?: string;
  /** Source-specific multicast (RFC 4607): receive the group's datagrams from this sender only. */
  source?: string;
}

/**
 * A group this socket has joined. `leave()` (or `using`) leaves it; leaving twice does nothing, and
 * closing the socket leaves every group.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0", port: 5353, reusePort: true });
 * using m = conn.joinMulticast("224.0.0.251", { interfaceIndex: 2 });
 * console.log(m.group, m.interfaceIndex, m.active); // "224.0.0.251" 2 true
 * ```
 */
export class MulticastMembership implements Disposable {
  /** The group address. */
  readonly group: string;
  /** The interface index joined on (0: the system chose). */
  readonly interfaceIndex: number;
  /** The only source received from, for a source-specific membership; else null. */
  readonly source: string | null;
  readonly #spec: MembershipSpec;
  readonly #owner: MembershipSet;
  #active = true;

  /** @internal Made by `DatagramConn.joinMulticast`. */
  constructor(owner: MembershipSet, spec: MembershipSpec, group: string, source: string | null) {
    this.#owner = owner;
    this.#spec = spec;
    this.group = group;
    this.interfaceIndex = spec.interfaceIndex;
    this.source = source;
  }

  /** Whether the membership still holds (not left, socket not closed). */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Leaves the group. Does nothing when already left or when the socket is closed (which left it).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "::", port: 5353 });
   * const m = conn.joinMulticast("ff02::fb", { interfaceIndex: 2 });
   * m.leave();
   * m.leave(); // no-op
   * ```
   */
  leave(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#owner.left(this, this.#spec);
  }

  /** `using m = conn.joinMulticast(...)` leaves at the end of the scope. */
  [Symbol.dispose](): void {
    this.leave();
  }

  /** @internal The socket closed: the system dropped the membership with it. */
  dropped(): void {
    this.#active = false;
  }
}

/**
 * The memberships of one socket.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "0.0.0.0" }); // its joins go through a MembershipSet
 * using m = conn.joinMulticast("224.0.0.251");
 * ```
 */
export class MembershipSet {
  readonly #socket: BackendSocket;
  readonly #interfaces: InterfaceLookup;
  readonly #active = new Map<string, MulticastMembership>();

  /** Keeps the memberships of `socket`, in its option dialect; `interfaces` turns addresses into indexes and back. */
  constructor(socket: BackendSocket, interfaces: InterfaceLookup) {
    this.#socket = socket;
    this.#interfaces = interfaces;
  }

  /** Joins, after checking every argument; throws TypeError/RangeError naming it, or a SocketError. */
  join(group: unknown, options: JoinOptions | undefined, method: string): MulticastMembership {
    const families = this.#socket.families;
    if (typeof group !== "string") {
      throw new TypeError(`${method}: group must be a numeric multicast address string, got ${describeValue(group)}`);
    }
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(`${method}: options must be an object`);
    }
    if (options !== undefined) refuseUnknownKeys(options, JOIN_KEYS, method, "option");
    const host = stripBrackets(group);
    const v4 = parseIPv4(host);
    const v6 = v4 ? null : parseIPv6(host);
    if (!v4 && !v6) {
      throw new TypeError(`${method}: group must be a numeric IPv4 or IPv6 address, got ${JSON.stringify(group)}`);
    }
    const bytes = v4 ?? (isV4Mapped(v6!.bytes) ? v6!.bytes.slice(12) : v6!.bytes);
    const isV6 = bytes.length === 16;
    if (isV6 ? bytes[0] !== 0xff : (bytes[0] & 0xf0) !== 0xe0) {
      throw new RangeError(
        `${method}: group ${JSON.stringify(group)} is not a multicast address (${isV6 ? "ff00::/8" : "224.0.0.0/4"})`,
      );
    }
    if (isV6 && !families.ipv6) {
      throw new TypeError(
        `${method}: group ${JSON.stringify(group)} is IPv6, and this socket is IPv4: listen on "::" for both families`,
      );
    }
    if (!isV6 && !families.ipv4) {
      throw new TypeError(`${method}: group ${JSON.stringify(group)} is IPv4, and this socket is IPv6-only (ipv6Only)`);
    }
    let index = options?.interfaceIndex ?? (v6?.scopeId || 0);
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
      throw new RangeError(
        `${method}: interfaceIndex must be an integer from 0 to 4294967295, got ${
          describeValue(options?.interfaceIndex)
        }`,
      );
    }
    let ifAddress: Uint8Array | null = null;
    const ia = options?.interfaceAddress;
    if (ia !== undefined) {
      if (isV6) {
        throw new TypeError(
          `${method}: interfaceAddress is for IPv4 groups; name an IPv6 group's interface by interfaceIndex`,
        );
      }
      ifAddress = typeof ia === "string" ? parseIPv4(stripBrackets(ia)) : null;
      if (!ifAddress) {
        throw new TypeError(`${method}: interfaceAddress must be a numeric IPv4 address, got ${describeValue(ia)}`);
      }
    }
    let source: Uint8Array | null = null;
    const src = options?.source;
    if (src !== undefined) {
      const s = typeof src === "string" ? stripBrackets(src) : "";
      const p4 = parseIPv4(s);
      const p6 = p4 ? null : parseIPv6(s);
      source = p4 ?? (p6 && isV4Mapped(p6.bytes) ? p6.bytes.slice(12) : p6?.bytes ?? null);
      if (!source) throw new TypeError(`${method}: source must be a numeric address, got ${describeValue(src)}`);
      if (source.length !== bytes.length) {
        throw new TypeError(
          `${method}: source ${JSON.stringify(src)} and group ${JSON.stringify(group)} are of different families`,
        );
      }
      const multicast = source.length === 4 ? (source[0] & 0xf0) === 0xe0 : source[0] === 0xff;
      if (multicast || source.every((b) => b === 0)) {
        throw new RangeError(`${method}: source ${JSON.stringify(src)} must be a unicast address`);
      }
    }
    // Where the system's request names the interface by index only, an address is turned into one.
    const dialect = this.#socket.optionDialect;
    const byIndex = source !== null ? dialect.joinByIndex.sourceSpecific : dialect.joinByIndex.anySource;
    if (ifAddress && index === 0 && byIndex) {
      index = indexOfAddress(this.#interfaces.index(ifAddress), ifAddress, method);
    }
    // Windows' IPv4 requests take the interface as an address; an index written in 0.0.0.0/8 works on
    // Windows but not under Wine (WSAEINVAL), so the interface's own address is used where it has one.
    if (dialect.ipv4InterfaceByAddress && !isV6 && index !== 0 && !ifAddress) {
      ifAddress = this.#interfaces.address(index);
    }
    const key = `${Array.from(bytes).join(".")}|${index}|${ifAddress?.join(".") ?? ""}|${source?.join(".") ?? ""}`;
    if (this.#active.has(key)) {
      throw new RangeError(
        `${method}: this socket is already a member of ${JSON.stringify(group)}${
          index ? ` on interface ${index}` : ""
        }${src ? ` for source ${src}` : ""}`,
      );
    }
    const spec: MembershipSpec = { group: bytes, interfaceIndex: index, interfaceAddress: ifAddress, source };
    const r = dialect.membership(true, spec);
    this.#socket.setRawOption(r.level, r.name, r.bytes, r.label);
    const m = new MulticastMembership(
      this,
      spec,
      isV6 ? host.split("%")[0] : Array.from(bytes).join("."),
      source ? stripBrackets(src as string) : null,
    );
    this.#active.set(key, m);
    return m;
  }

  /** @internal A membership left: the leave request, and it is forgotten. */
  left(m: MulticastMembership, spec: MembershipSpec): void {
    for (const [k, v] of this.#active) if (v === m) this.#active.delete(k);
    const r = this.#socket.optionDialect.membership(false, spec);
    this.#socket.setRawOption(r.level, r.name, r.bytes, r.label);
  }

  /** The socket closed: every membership went with it. */
  closed(): void {
    for (const m of this.#active.values()) m.dropped();
    this.#active.clear();
  }
}

/** The index an interface address was looked up to, or the RangeError naming it when no interface has it. */
function indexOfAddress(i: number | null, address: Uint8Array, method: string): number {
  if (i === null) {
    throw new RangeError(
      `${method}: interfaceAddress ${address.join(".")} is not an address of any interface of this machine`,
    );
  }
  return i;
}
