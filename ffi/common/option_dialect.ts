/**
 * How one system's socket options are written, as the connection layer needs them: the sender options
 * and multicast memberships of ffi/tables/settings.ts bound to the system, and the two ways the systems'
 * requests name an interface. A backend hands its dialect to the connection (`BackendSocket.optionDialect`),
 * so nothing above the backend asks which system it is on. This is the one place these facts live:
 * ffi/select.ts only picks the backend, and the connection's memberships and sender options read the
 * socket's dialect (with the interface lookup passed to the connection for the address/index half).
 *
 * @module
 */
import {
  membershipRequest,
  type MembershipSpec,
  type RawOption,
  type SettableOption,
  settings,
} from "../tables/settings.ts";

/** A system's socket-option dialect. */
export interface OptionDialect {
  /** The setsockopt calls that set `option` to `value` on a socket of `families` (`v4Address`: see below). */
  settings(
    option: SettableOption,
    value: number,
    families: { readonly ipv4: boolean; readonly ipv6: boolean },
    v4Address?: Uint8Array | null,
  ): RawOption[];
  /** The setsockopt call that joins (or leaves) a group. */
  membership(join: boolean, spec: MembershipSpec): RawOption;
  /**
   * Whether a join names the interface by index only, so that an interface given by its address must be
   * turned into an index first: for any-source joins (macOS) and for source-specific ones (Linux, macOS).
   */
  readonly joinByIndex: { readonly anySource: boolean; readonly sourceSpecific: boolean };
  /**
   * Whether IPv4 requests (joins, `multicastInterface`) take the interface as its address (Windows: an
   * index written in 0.0.0.0/8 works on Windows but not under Wine): pass the interface's own address.
   */
  readonly ipv4InterfaceByAddress: boolean;
}

const cache = new Map<string, OptionDialect>();

/**
 * The dialect of `os` ("linux", "darwin" or "windows"), made once.
 *
 * @example
 * ```ts
 * import { optionDialect } from "./option_dialect.ts";
 * console.log(optionDialect("darwin").joinByIndex.anySource); // true
 * ```
 */
export function optionDialect(os: "linux" | "darwin" | "windows"): OptionDialect {
  let d = cache.get(os);
  if (d) return d;
  d = Object.freeze({
    settings: (
      option: SettableOption,
      value: number,
      families: { readonly ipv4: boolean; readonly ipv6: boolean },
      v4Address: Uint8Array | null = null,
    ) => settings(os, option, value, families, v4Address),
    membership: (join: boolean, spec: MembershipSpec) => membershipRequest(os, join, spec),
    joinByIndex: Object.freeze({ anySource: os === "darwin", sourceSpecific: os !== "windows" }),
    ipv4InterfaceByAddress: os === "windows",
  });
  cache.set(os, d);
  return d;
}
