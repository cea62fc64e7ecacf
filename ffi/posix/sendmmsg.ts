/**
 * Many datagrams in one system call: Linux `sendmmsg`, up to 64 per call, each with its own
 * destination, source (IP_PKTINFO / IPV6_PKTINFO) and hop limit. The vector, names, control records
 * and a copy of the data live in memory this sender owns, larger than 64 bytes so that it never moves,
 * and are only read by the kernel during the call.
 *
 * @module
 */
import { LNX } from "../../structs/linux.ts";
import { type SendSource, writeSendControl } from "../../structs/send_control.ts";
import { encodeSockaddr, type Families } from "../../structs/sockaddr.ts";
import { destination } from "../common/backend.ts";
import { native } from "../native.ts";
import { setPointer } from "../common/receive_target.ts";

/** One datagram of a batch, its arguments already checked. */
export interface OutgoingItem {
  readonly data: Uint8Array;
  /** The destination, or null for the connected peer. */
  readonly to: { hostname: string; port: number } | null;
  readonly source: SendSource | undefined;
  readonly hopLimit: number | undefined;
  /** The TOS byte / traffic class (DSCP << 2 | ECN), or undefined. */
  readonly trafficClass: number | undefined;
  /** Linux UDP_SEGMENT: the kernel cuts `data` into datagrams of this size. */
  readonly segmentSize?: number;
}

const SLOTS = 64;

/**
 * What a send's name and control memory was last written with: a reply to the same peer (a frozen
 * remoteAddr, as receives give them) from the same frozen localAddr rewrites nothing. Mutable objects
 * are never remembered: they may have changed since.
 */
export interface SendMemo {
  to: { hostname: string; port: number } | null;
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
 * import { sendMemo } from "./sendmmsg.ts";
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

/**
 * The control records' length when the memory already holds the ones these options make, else -1
 * (then write them with {@link writeControlOnce}).
 *
 * @example
 * ```ts
 * import { currentControl, sendMemo } from "./sendmmsg.ts";
 * console.log(currentControl(sendMemo(), undefined, true, undefined, undefined, undefined)); // -1
 * ```
 */
export function currentControl(
  m: SendMemo,
  source: SendSource | undefined,
  ipv4: boolean,
  hopLimit: number | undefined,
  trafficClass: number | undefined,
  segmentSize: number | undefined,
): number {
  return m.controlLen >= 0 && source === m.source && ipv4 === m.controlIPv4 && hopLimit === m.hopLimit &&
      trafficClass === m.trafficClass && segmentSize === m.segmentSize
    ? m.controlLen
    : -1;
}

/**
 * Writes the control records into `target` and remembers them when their source cannot change.
 *
 * @example
 * ```ts
 * import { sendMemo, writeControlOnce } from "./sendmmsg.ts";
 * console.log(writeControlOnce(sendMemo(), new Uint8Array(128), "linux", true, undefined, 9, undefined, undefined)); // 24
 * ```
 */
export function writeControlOnce(
  m: SendMemo,
  target: Uint8Array,
  platform: "linux" | "darwin" | "windows",
  ipv4: boolean,
  source: SendSource | undefined,
  hopLimit: number | undefined,
  trafficClass: number | undefined,
  segmentSize: number | undefined,
): number {
  m.controlLen = -1; // until the new records are whole
  const length = writeSendControl(target, platform, ipv4, source, hopLimit, trafficClass, segmentSize);
  if (source === undefined || Object.isFrozen(source)) m.controlLen = length;
  m.source = source;
  m.controlIPv4 = ipv4;
  m.hopLimit = hopLimit;
  m.trafficClass = trafficClass;
  m.segmentSize = segmentSize;
  return length;
}

const M = LNX.mmsghdr;
const MSG = LNX.msghdr.fields;
const IOV = LNX.iovec;
const NAME = 32;
const CONTROL = 128;
const SLOT = M.size + IOV.size + NAME + CONTROL;

/**
 * The sendmmsg memory of one socket.
 *
 * @example
 * ```ts ignore
 * const batch = new SendBatch(families, socketIsIPv6, (vec, n) => sendmmsg(fd, vec, n, MSG_DONTWAIT));
 * const { sent, errno } = batch.send(items, 0, peerIsIPv4);
 * ```
 */
export class SendBatch {
  readonly #arena = new Uint8Array(new ArrayBuffer(SLOTS * SLOT));
  readonly #dv = new DataView(this.#arena.buffer);
  #data = new Uint8Array(new ArrayBuffer(64 * 1024));
  #dataAddress = native.addressOf(this.#data);
  readonly #families: Families;
  readonly #ipv6: boolean;
  readonly #call: (vec: Uint8Array, n: number) => number;
  readonly #errno: () => number;
  /** What each slot's name and control records hold now, so that a reply to the same peer from the same address rewrites nothing. */
  readonly #slots: SendMemo[] = Array.from({ length: SLOTS }, sendMemo);
  /** The arena's address: it never moves, so it is asked for once. */
  readonly #base: number;

  /** `call(vec, n)` makes the sendmmsg; `errno` reads its error. */
  constructor(
    families: Families,
    socketIsIPv6: boolean,
    call: (vec: Uint8Array, n: number) => number,
    errno: () => number,
  ) {
    this.#families = families;
    this.#ipv6 = socketIsIPv6;
    this.#call = call;
    this.#errno = errno;
    const base = this.#base = native.addressOf(this.#arena);
    for (let i = 0; i < SLOTS; i++) {
      const m = i * M.size;
      setPointer(this.#dv, m + MSG.msg_iov.offset, base + SLOTS * M.size + i * IOV.size);
      this.#dv.setUint32(m + MSG.msg_iovlen.offset, 1, true);
    }
  }

  /**
   * Sends `items[from...]`, up to 64 in one call; returns how many went, and the errno that stopped
   * the call when none of them did (EAGAIN when the send buffer is full).
   */
  send(items: readonly OutgoingItem[], from: number, peerIsIPv4: boolean | null): { sent: number; errno: number } {
    const n = Math.min(SLOTS, items.length - from);
    let total = 0;
    for (let i = 0; i < n; i++) total += items[from + i].data.length;
    if (total > this.#data.length) {
      this.#data = new Uint8Array(new ArrayBuffer(Math.max(total, 2 * this.#data.length)));
      this.#dataAddress = native.addressOf(this.#data);
    }
    const dv = this.#dv;
    const base = this.#base;
    const names = SLOTS * (M.size + IOV.size);
    const controls = names + SLOTS * NAME;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const item = items[from + i];
      const m = i * M.size;
      let ipv4 = peerIsIPv4 ?? true;
      let nameLen = 0;
      const slot = this.#slots[i];
      if (item.to) {
        // A frozen address (as receives give them) that this slot held last time is already written.
        if (item.to === slot.to) {
          nameLen = slot.nameLen;
          ipv4 = slot.ipv4;
        } else {
          slot.to = null; // until the new bytes are whole
          const dest = destination(item.to.hostname, this.#ipv6);
          nameLen = encodeSockaddr(
            dv,
            names + i * NAME,
            { hostname: dest.hostname, port: item.to.port },
            this.#families,
          );
          ipv4 = dest.ipv4;
          if (Object.isFrozen(item.to)) slot.to = item.to;
          slot.nameLen = nameLen;
          slot.ipv4 = ipv4;
        }
      }
      setPointer(dv, m + MSG.msg_name.offset, nameLen ? base + names + i * NAME : 0);
      dv.setUint32(m + MSG.msg_namelen.offset, nameLen, true);
      const controlAt = controls + i * CONTROL;
      let controlLen = currentControl(slot, item.source, ipv4, item.hopLimit, item.trafficClass, item.segmentSize);
      if (controlLen < 0) {
        controlLen = writeControlOnce(
          slot,
          this.#arena.subarray(controlAt, controlAt + CONTROL),
          "linux",
          ipv4,
          item.source,
          item.hopLimit,
          item.trafficClass,
          item.segmentSize,
        );
      }
      setPointer(dv, m + MSG.msg_control.offset, controlLen ? base + controlAt : 0);
      dv.setUint32(m + MSG.msg_controllen.offset, controlLen, true);
      dv.setUint32(m + MSG.msg_controllen.offset + 4, 0, true);
      this.#data.set(item.data, at);
      const iov = SLOTS * M.size + i * IOV.size;
      setPointer(dv, iov + IOV.fields.iov_base.offset, this.#dataAddress + at);
      dv.setUint32(iov + IOV.fields.iov_len.offset, item.data.length, true);
      dv.setUint32(iov + IOV.fields.iov_len.offset + 4, 0, true);
      at += item.data.length;
    }
    const sent = this.#call(this.#arena.subarray(0, n * M.size), n);
    return sent < 0 ? { sent: 0, errno: this.#errno() } : { sent, errno: 0 };
  }
}
