/**
 * A received message's `localAddr` is where the datagram was sent to. For a unicast datagram that is an
 * address of this host, and a reply sent from it reaches the peer from the address it asked. For a
 * datagram sent to a broadcast address or a multicast group it is not an address anything can be sent
 * from (Linux answers EINVAL or ENETUNREACH): such a reply leaves by the interface the datagram arrived
 * on, from that interface's own address, which the system picks when only the index is given.
 *
 * Backends mark the local addresses of such datagrams as they build messages ({@link markNotASource});
 * a copy of one (`{ ...msg.localAddr }`) is still recognised when it names a group or the limited
 * broadcast address 255.255.255.255.
 *
 * @module
 */
import { ipv4Bits, parseIPv6Into } from "../../structs/ip.ts";
import type { SendSource } from "../../structs/send_control.ts";
import { stripBrackets } from "../../structs/sockaddr.ts";

/** Local addresses of datagrams sent to a broadcast address or a group, and what a reply is sent from. */
const replyFrom = new WeakMap<object, SendSource>();

/**
 * Marks `local` (a received message's frozen `localAddr`) as the destination of a broadcast or multicast
 * datagram: a reply from it is sent by its interface only.
 *
 * @example
 * ```ts
 * import { markNotASource, replySource } from "./reply_source.ts";
 * const local = Object.freeze({ hostname: "127.255.255.255", interfaceIndex: 1 });
 * markNotASource(local);
 * console.log(replySource(local)); // { interfaceIndex: 1 }
 * ```
 */
export function markNotASource(local: { readonly hostname: string; readonly interfaceIndex: number }): void {
  if (!replyFrom.has(local)) replyFrom.set(local, Object.freeze({ interfaceIndex: local.interfaceIndex }));
}

/**
 * The source a send's control records name: `source` itself, or its interface alone when its address is
 * a broadcast or multicast destination.
 *
 * @example
 * ```ts
 * import { replySource } from "./reply_source.ts";
 * console.log(replySource({ hostname: "224.0.0.251", interfaceIndex: 3 })); // { interfaceIndex: 3 }
 * console.log(replySource({ hostname: "127.0.0.2" })); // { hostname: "127.0.0.2" }
 * ```
 */
export function replySource(source: SendSource | undefined): SendSource | undefined {
  if (source === undefined || source.hostname === undefined) return source;
  const marked = replyFrom.get(source);
  if (marked !== undefined) return marked;
  if (typeof source.hostname !== "string" || !isGroupOrBroadcast(source.hostname)) return source;
  return { interfaceIndex: source.interfaceIndex };
}

/** Where {@link isGroupOrBroadcast} parses IPv6 text, once for all calls. */
const V6 = new Uint8Array(16);

/** A multicast group (224.0.0.0/4, ff00::/8, v4-mapped groups) or 255.255.255.255. */
function isGroupOrBroadcast(hostname: string): boolean {
  const host = stripBrackets(hostname);
  const v4 = ipv4Bits(host.startsWith("::ffff:") ? host.slice(7) : host);
  if (v4 >= 0) return v4 >>> 28 === 0xe || v4 === 0xffffffff;
  return parseIPv6Into(host, V6, 0) >= 0 && V6[0] === 0xff;
}
