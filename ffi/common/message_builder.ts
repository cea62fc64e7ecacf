/**
 * The last step of every receive, on every backend: where the message's bytes are, where its control
 * bytes are kept, which packet info is its local address, and the message itself (new or reused).
 *
 * @module
 */
import { type NetAddr, ReceivedMessage } from "../../message.ts";
import { type Ancillary, AncillaryDecoder } from "../../structs/ancillary.ts";
import type { CmsgFormat } from "../../structs/cmsg.ts";
import { type ControlArchive, copyBytes, keepControl, WordsCache } from "./control_archive.ts";
import { freshCopy } from "./fresh_copy.ts";
import { markNotASource } from "./reply_source.ts";
import { ViewMemo, viewOf } from "./receive_target.ts";

/**
 * The message's `data`: `bytes` bytes at `start` in the caller's `target` (copied there from `own` at
 * `ownFrom` unless the system wrote there itself, `direct`), or a fresh copy out of `own`. Copies go four
 * bytes at a time when `ownWords` (`wordsOf(own)`) is given, and, into a caller's buffer, `targets` knows
 * its words. `views` (the socket's) remembers the views made, by `slot`, so that a reused message keeps its
 * own without a look at either buffer.
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
  ownWords: Int32Array | null = null,
  targets: WordsCache | null = null,
  views: ViewMemo | null = null,
  slot = 0,
): Uint8Array {
  if (target === null) return freshCopy(own, ownFrom, bytes, ownWords);
  if (!direct && bytes > 0) {
    copyBytes(
      target,
      start,
      own,
      ownFrom,
      bytes,
      ownWords === null || targets === null ? null : targets.of(target),
      ownWords,
    );
  }
  const previous = reuse ? reuse.data : null;
  return views === null ? viewOf(target, start, bytes, previous) : views.view(target, start, bytes, previous, slot);
}

/**
 * What a backend read from the system for one datagram: filled in for each datagram, then handed to
 * {@link buildMessage}. One per socket (or per receive arena), so a receive makes no record.
 */
export interface Received {
  /** A message to overwrite instead of making a new one. */
  reuse: ReceivedMessage | null;
  data: Uint8Array;
  remote: NetAddr;
  /** Whether the sender is an IPv6 peer (not an IPv4 one, even v4-mapped): which packet info applies. */
  remoteIsIPv6: boolean;
  anc: Ancillary;
  flags: number;
  truncated: boolean;
  controlTruncated: boolean;
  /** MSG_BCAST where the system reports it (Windows). */
  broadcast: boolean;
  /** MSG_MCAST where the system reports it. */
  multicast: boolean;
  /** The control bytes: `controlLen` at `controlFrom` in `control`. */
  control: Uint8Array;
  controlLen: number;
  controlFrom: number;
  /** The words of the socket's last caller buffer (see messageData). */
  readonly targets: WordsCache;
  /** The views of caller buffers the socket's messages were given (see messageData). */
  readonly views: ViewMemo;
}

const EMPTY = new Uint8Array(0);
const NOBODY: NetAddr = Object.freeze({ transport: "udp", hostname: "", port: 0 });

/**
 * A record for one socket's datagrams, empty.
 *
 * @example
 * ```ts
 * import { received } from "./message_builder.ts";
 * console.log(received().flags); // 0
 * ```
 */
export function received(): Received {
  return {
    reuse: null,
    data: EMPTY,
    remote: NOBODY,
    remoteIsIPv6: false,
    anc: new AncillaryDecoder(),
    flags: 0,
    truncated: false,
    controlTruncated: false,
    broadcast: false,
    multicast: false,
    control: EMPTY,
    controlLen: 0,
    controlFrom: 0,
    targets: new WordsCache(),
    views: new ViewMemo(),
  };
}

/**
 * The message: `r.reuse` overwritten, or a new one. The control bytes are kept where later receives do
 * not overwrite them; the local address is the IPv6 packet info for an IPv6 sender and the IPv4 one
 * otherwise (a dual-stack socket gives both for IPv4). The local address of a datagram sent to a
 * broadcast address or a group is marked as no source for a reply (see ./reply_source.ts). `controlWords`:
 * `wordsOf(r.control)`, where the caller keeps it (the archive then compares and copies four bytes at a time).
 *
 * @example
 * ```ts
 * import { buildMessage, received } from "./message_builder.ts";
 * import { ControlArchive } from "./control_archive.ts";
 * import { CMSG_LP64 } from "../../structs/cmsg.ts";
 * const r = received();
 * r.data = new Uint8Array([1]);
 * r.remote = { transport: "udp", hostname: "127.0.0.1", port: 9 };
 * const m = buildMessage(r, new ControlArchive(), CMSG_LP64);
 * console.log(m.remoteAddr.port, m.localAddr); // 9 null
 * ```
 */
export function buildMessage(
  r: Received,
  archive: ControlArchive,
  format: CmsgFormat,
  controlWords: Int32Array | null = null,
): ReceivedMessage {
  const anc = r.anc;
  const reuse = r.reuse;
  const kept = keepControl(archive, reuse, r.control, r.controlLen, r.controlFrom, controlWords);
  const localAddr = r.remoteIsIPv6 ? anc.local6 ?? anc.local4 : anc.local4 ?? anc.local6;
  const is4 = localAddr !== null && localAddr === anc.local4;
  // Linux, macOS and Wine never set MSG_MCAST: a datagram sent to a group is multicast all the same.
  const multicast = r.multicast || (localAddr !== null && (is4 ? anc.local4Multicast : anc.local6Multicast));
  if (localAddr !== null && (multicast || r.broadcast || (is4 && anc.local4Broadcast))) markNotASource(localAddr);
  // Every field is written, so a reused message keeps nothing of its previous datagram.
  const m = reuse ?? new ReceivedMessage();
  m.data = r.data;
  m.remoteAddr = r.remote;
  m.localAddr = localAddr;
  m.flags = r.flags;
  m.truncated = r.truncated;
  m.controlTruncated = r.controlTruncated;
  m.broadcast = r.broadcast;
  m.multicast = multicast;
  m.hopLimit = anc.hopLimit;
  m.ecn = anc.ecn as 0 | 1 | 2 | 3 | undefined; // two bits, as the decoders read them
  m.segmentSize = anc.coalescedSegmentSize;
  m.timestamp = anc.timestamp;
  const message = m._keepControl(kept.chunk, kept.at, r.controlLen, format);
  kept.chunk = null; // hold no chunk past the call
  r.reuse = null;
  return message;
}
