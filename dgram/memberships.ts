/**
 * The multicast groups a `recvmsg/dgram` socket joined with node:dgram's calls (`addMembership`,
 * `addSourceSpecificMembership`), kept by group, source and interface argument so that the matching
 * `drop...` call leaves the same one — with node:dgram's errors: `EINVAL` for an address that is not
 * one, `EADDRINUSE` for a group joined twice, `EADDRNOTAVAIL` for one never joined.
 *
 * @module
 */
import { isIP } from "node:net";
import type { DatagramConn, MulticastMembership } from "../mod.ts";
import { errnoException } from "./errors.ts";
import { parseInterfaceArgument } from "./interface_names.ts";

/** One join or leave as node:dgram's calls name it. */
export interface MembershipRequest {
  /** The call, for errors: `addMembership`, `dropSourceSpecificMembership`, ... */
  syscall: string;
  /** The only sender, for a source-specific membership. */
  source: string | undefined;
  /** The group. */
  group: string;
  /** An IPv4 address of the interface, or an IPv6 scope (`"::%eth0"`); undefined: the system's choice. */
  iface: string | undefined;
}

/**
 * The groups of one socket.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "../mod.ts";
 * import { Memberships } from "./memberships.ts";
 * const conn = listenDatagram({ hostname: "0.0.0.0" });
 * const groups = new Memberships();
 * const r = { syscall: "addMembership", source: undefined, group: "224.0.0.114", iface: undefined };
 * groups.check(r, true);
 * groups.join(conn, r);
 * ```
 */
export class Memberships {
  readonly #joined = new Map<string, MulticastMembership>();

  /** Refuses what the system would refuse before it is asked (node:dgram's codes). */
  check(r: MembershipRequest, add: boolean): void {
    if (isIP(r.group) === 0 || (r.source !== undefined && isIP(r.source) === 0)) {
      throw errnoException("EINVAL", r.syscall);
    }
    const known = this.#joined.has(key(r));
    if (add && known) throw errnoException("EADDRINUSE", r.syscall);
    if (!add && !known) throw errnoException("EADDRNOTAVAIL", r.syscall);
  }

  /** Joins (after {@link check}); throws this module's errors for the caller to turn into node:dgram's. */
  join(conn: DatagramConn, r: MembershipRequest): void {
    let options: { interfaceAddress?: string; interfaceIndex?: number; source?: string } = {};
    if (r.iface !== undefined) {
      if (!r.group.includes(":") && isIP(r.iface) === 4) options = { interfaceAddress: r.iface };
      else {
        const found = parseInterfaceArgument(r.iface, true);
        if (found === null) throw errnoException("EINVAL", r.syscall);
        options = { interfaceIndex: found.index };
      }
    }
    if (r.source !== undefined) options.source = r.source;
    this.#joined.set(key(r), conn.joinMulticast(r.group, options));
  }

  /** Leaves (after {@link check}). */
  leave(r: MembershipRequest): void {
    const m = this.#joined.get(key(r))!;
    this.#joined.delete(key(r));
    m.leave();
  }

  /** The socket closed: the system left every group with it. */
  clear(): void {
    this.#joined.clear();
  }
}

function key(r: MembershipRequest): string {
  return `${r.source ?? ""}|${r.group}|${r.iface ?? ""}`;
}
