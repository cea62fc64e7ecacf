/**
 * The first half of every send, on every backend: the destination's name and the control records
 * written into the send memory, skipping what is already there. A reply to the same peer (a frozen
 * remoteAddr, as receives give them) from the same frozen localAddr rewrites nothing; mutable objects
 * are never remembered, since they may have changed since. One memo per send slot: the single send's
 * memory, and each slot of a sendmmsg batch.
 *
 * @module
 */
import { type SendSource, writeSendControl } from "../../structs/send_control.ts";
import { encodeSockaddr, type Families } from "../../structs/sockaddr.ts";
import { destination, type Transmit } from "./backend.ts";
import { replySource } from "./reply_source.ts";

/** What a send slot's name and control memory was last written with. */
export interface SendMemo {
  to: { readonly hostname: string; readonly port: number } | null;
  nameLen: number;
  ipv4: boolean;
  /** -1: rewrite the control records. */
  controlLen: number;
  source: SendSource | undefined;
  controlIPv4: boolean;
  hopLimit: number | undefined;
  trafficClass: number | undefined;
  segmentSize: number | undefined;
}

/**
 * A memo that remembers nothing yet.
 *
 * @example
 * ```ts
 * import { sendMemo } from "./send_memo.ts";
 * console.log(sendMemo().controlLen); // -1
 * ```
 */
export function sendMemo(): SendMemo {
  return {
    to: null,
    nameLen: 0,
    ipv4: true,
    controlLen: -1,
    source: undefined,
    controlIPv4: true,
    hopLimit: undefined,
    trafficClass: undefined,
    segmentSize: undefined,
  };
}

/** Where one send slot writes, and for which socket. */
export interface SendSlot {
  readonly memo: SendMemo;
  /** The name (sockaddr) area: written at offset 0. */
  readonly name: DataView;
  /** The control area. */
  readonly control: Uint8Array;
  readonly families: Families;
  readonly socketIsIPv6: boolean;
  readonly platform: "linux" | "darwin" | "windows";
}

/**
 * Writes the destination's name into the slot unless it is there already; returns its length and sets
 * `memo.ipv4` to whether the datagram travels over IPv4.
 *
 * @example
 * ```ts
 * import { sendMemo, writeName } from "./send_memo.ts";
 * const slot = { memo: sendMemo(), name: new DataView(new ArrayBuffer(28)), control: new Uint8Array(128),
 *   families: { inet: 2, inet6: 10 }, socketIsIPv6: false, platform: "linux" as const };
 * console.log(writeName(slot, Object.freeze({ hostname: "127.0.0.1", port: 9 }))); // 16
 * ```
 */
export function writeName(slot: SendSlot, to: { readonly hostname: string; readonly port: number }): number {
  const m = slot.memo;
  if (to === m.to) return m.nameLen;
  m.to = null; // until the new bytes are whole
  const dest = destination(to.hostname, slot.socketIsIPv6);
  m.nameLen = encodeSockaddr(slot.name, 0, { hostname: dest.hostname, port: to.port }, slot.families);
  m.ipv4 = dest.ipv4;
  if (Object.isFrozen(to)) m.to = to;
  return m.nameLen;
}

/**
 * Writes the control records `t` asks for over IPv4 (`ipv4`) or IPv6 into the slot unless they are there
 * already, and returns their length. A source that names a broadcast or multicast destination (a received
 * message's `localAddr`) is sent from by its interface only (see ./reply_source.ts).
 *
 * @example
 * ```ts
 * import { sendMemo, writeControl } from "./send_memo.ts";
 * const slot = { memo: sendMemo(), name: new DataView(new ArrayBuffer(28)), control: new Uint8Array(128),
 *   families: { inet: 2, inet6: 10 }, socketIsIPv6: false, platform: "linux" as const };
 * console.log(writeControl(slot, { data: new Uint8Array(1), to: null, hopLimit: 9 }, true)); // 24
 * ```
 */
export function writeControl(slot: SendSlot, t: Transmit, ipv4: boolean): number {
  const m = slot.memo;
  const source = t.source;
  if (
    m.controlLen >= 0 && source === m.source && ipv4 === m.controlIPv4 && t.hopLimit === m.hopLimit &&
    t.trafficClass === m.trafficClass && t.segmentSize === m.segmentSize
  ) {
    return m.controlLen;
  }
  m.controlLen = -1; // until the new records are whole
  const length = writeSendControl(
    slot.control,
    slot.platform,
    ipv4,
    replySource(source),
    t.hopLimit,
    t.trafficClass,
    t.segmentSize,
  );
  if (source === undefined || Object.isFrozen(source)) m.controlLen = length;
  m.source = source;
  m.controlIPv4 = ipv4;
  m.hopLimit = t.hopLimit;
  m.trafficClass = t.trafficClass;
  m.segmentSize = t.segmentSize;
  return length;
}
