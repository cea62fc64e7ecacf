/**
 * The last step of every receive, on every backend: where the message's bytes are, where its control
 * bytes are kept, which packet info is its local address, and the message itself (new or reused).
 *
 * @module
 */
import { type NetAddr, ReceivedMessage } from "../../message.ts";
import type { Ancillary } from "../../structs/ancillary.ts";
import type { CmsgFormat } from "../../structs/cmsg.ts";
import { type ControlArchive, copyInto, keepControl } from "./control_archive.ts";
import { viewOf } from "./receive_target.ts";

/**
 * The message's `data`: `bytes` bytes at `start` in the caller's `target` (copied there from `own` at
 * `ownFrom` unless the system wrote there itself, `direct`), or a fresh copy out of `own`.
 *
 * @example
 * ```ts
 * import { messageData } from "./message_builder.ts";
 * const own = new Uint8Array([1, 2, 3]);
 * console.log(messageData(null, 0, 2, false, own, 0, null)); // Uint8Array(2) [ 1, 2 ]
 * ```
 */
export function messageData(
  target: Uint8Array | null,
  start: number,
  bytes: number,
  direct: boolean,
  own: Uint8Array,
  ownFrom: number,
  reuse: ReceivedMessage | null,
): Uint8Array {
  if (target === null) return own.slice(ownFrom, ownFrom + bytes);
  if (!direct && bytes > 0) {
    if (start === 0 && ownFrom === 0) copyInto(target, own, bytes);
    else target.set(own.subarray(ownFrom, ownFrom + bytes), start);
  }
  return viewOf(target, start, bytes, reuse ? reuse.data : null);
}

/** What a backend read from the system for one datagram, beyond its data. */
export interface Received {
  flags: number;
  truncated: boolean;
  controlTruncated: boolean;
  broadcast: boolean;
  multicast: boolean;
}

/**
 * The message: `reuse` overwritten, or a new one. The control bytes (`controlLen` at `controlFrom` in
 * `control`) are kept where later receives do not overwrite them; the local address is the IPv6 packet
 * info for an IPv6 sender and the IPv4 one otherwise (a dual-stack socket gives both for IPv4).
 *
 * @example
 * ```ts
 * import { buildMessage } from "./message_builder.ts";
 * import { ControlArchive } from "./control_archive.ts";
 * import { AncillaryDecoder } from "../../structs/ancillary.ts";
 * import { CMSG_LP64 } from "../../structs/cmsg.ts";
 * const anc = new AncillaryDecoder().decode(new Uint8Array(0), 0);
 * const from = { transport: "udp" as const, hostname: "127.0.0.1", port: 9 };
 * const flags = { flags: 0, truncated: false, controlTruncated: false, broadcast: false, multicast: false };
 * const m = buildMessage(null, new Uint8Array([1]), from, false, anc, flags, new ControlArchive(), new Uint8Array(0), 0, 0, CMSG_LP64);
 * console.log(m.remoteAddr.port, m.localAddr); // 9 null
 * ```
 */
export function buildMessage(
  reuse: ReceivedMessage | null,
  data: Uint8Array,
  remote: NetAddr,
  remoteIsIPv6: boolean,
  anc: Ancillary,
  r: Received,
  archive: ControlArchive,
  control: Uint8Array,
  controlLen: number,
  controlFrom: number,
  format: CmsgFormat,
): ReceivedMessage {
  const kept = keepControl(archive, reuse, control, controlLen, controlFrom);
  const localAddr = remoteIsIPv6 ? anc.local6 ?? anc.local4 : anc.local4 ?? anc.local6;
  // Linux, macOS and Wine never set MSG_MCAST: a datagram sent to a group is multicast all the same.
  const multicast = r.multicast ||
    (localAddr !== null && (localAddr === anc.local4 ? anc.local4Multicast : anc.local6Multicast));
  return (reuse ?? new ReceivedMessage())._set(
    data,
    remote,
    localAddr,
    r.flags,
    r.truncated,
    r.controlTruncated,
    r.broadcast,
    multicast,
    anc.hopLimit,
    anc.ecn,
    kept.chunk,
    kept.at,
    controlLen,
    format,
    anc.coalescedSegmentSize,
    anc.timestamp,
  );
}
