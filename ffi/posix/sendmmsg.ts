/**
 * Many datagrams in one system call: Linux `sendmmsg`, up to 64 per call, each with its own
 * destination, source (IP_PKTINFO / IPV6_PKTINFO) and hop limit. The vector, names, control records
 * and a copy of the data live in memory this sender owns, larger than 64 bytes so that it never moves,
 * and are only read by the kernel during the call.
 *
 * @module
 */
import type { Families } from "../../structs/sockaddr.ts";
import type { Transmit } from "../common/backend.ts";
import { type SendMemo, sendMemo, type SendSlot, writeControl, writeName } from "../common/send_memo.ts";
import { native } from "../native.ts";
import type { PinnedBuffer } from "../types.ts";
import { setPointer } from "../common/receive_target.ts";
import { iovAt, MAX_SLOTS, mmsgAt, NAME_SLOT, setSize, SLOT, slotArena, slotLayout } from "./mmsg_slots.ts";

/** Control bytes per slot: packet info, hop limit and traffic class fit. */
const CONTROL = 128;
const LAYOUT = slotLayout(MAX_SLOTS, CONTROL);

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
  /** The arena, and the same as sendmmsg takes it at the least cost (see Native.pin: maybe only its address, so the view is held beside it). */
  readonly #arena: { readonly view: Uint8Array; readonly arg: PinnedBuffer };
  readonly #dv: DataView;
  #data = new Uint8Array(new ArrayBuffer(64 * 1024));
  #dataAddress = native.addressOf(this.#data);
  readonly #call: (vec: PinnedBuffer, n: number) => number;
  readonly #errno: () => number;
  /** Each slot's name and control memory and what it holds now: a reply to the same peer from the same address rewrites nothing. */
  readonly #slots: SendSlot[] = [];
  /** The arena's address: it never moves, so it is asked for once. */
  readonly #base: number;

  /** `call(vec, n)` makes the sendmmsg; `errno` reads its error. */
  constructor(
    families: Families,
    socketIsIPv6: boolean,
    call: (vec: PinnedBuffer, n: number) => number,
    errno: () => number,
  ) {
    this.#call = call;
    this.#errno = errno;
    const { u8, dv, base } = slotArena(LAYOUT);
    this.#arena = { view: u8, arg: native.pin(u8) };
    this.#dv = dv;
    this.#base = base;
    for (let i = 0; i < MAX_SLOTS; i++) {
      const memo: SendMemo = sendMemo();
      const name = LAYOUT.name + i * NAME_SLOT;
      const control = LAYOUT.control + i * CONTROL;
      this.#slots.push({
        memo,
        name: new DataView(u8.buffer, name, NAME_SLOT),
        control: u8.subarray(control, control + CONTROL),
        families,
        socketIsIPv6,
        platform: "linux",
      });
    }
  }

  /**
   * Sends `items[from...]`, up to 64 in one call; returns how many went, and the errno that stopped
   * the call when none of them did (EAGAIN when the send buffer is full).
   */
  send(items: readonly Transmit[], from: number, peerIsIPv4: boolean | null): { sent: number; errno: number } {
    const n = Math.min(MAX_SLOTS, items.length - from);
    let total = 0;
    for (let i = 0; i < n; i++) total += items[from + i].data.length;
    if (total > this.#data.length) {
      this.#data = new Uint8Array(new ArrayBuffer(Math.max(total, 2 * this.#data.length)));
      this.#dataAddress = native.addressOf(this.#data);
    }
    const dv = this.#dv;
    const base = this.#base;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const item = items[from + i];
      const slot = this.#slots[i];
      const m = mmsgAt(i);
      const nameLen = item.to ? writeName(slot, item.to) : 0;
      const ipv4 = item.to ? slot.memo.ipv4 : peerIsIPv4 ?? true;
      setPointer(dv, m + SLOT.name, nameLen ? base + LAYOUT.name + i * NAME_SLOT : 0);
      dv.setUint32(m + SLOT.namelen, nameLen, true);
      const controlLen = writeControl(slot, item, ipv4);
      setPointer(dv, m + SLOT.control, controlLen ? base + LAYOUT.control + i * CONTROL : 0);
      setSize(dv, m + SLOT.controllen, controlLen);
      this.#data.set(item.data, at);
      const iov = iovAt(LAYOUT, i);
      setPointer(dv, iov + SLOT.iovBase, this.#dataAddress + at);
      setSize(dv, iov + SLOT.iovLen, item.data.length);
      at += item.data.length;
    }
    // The whole arena: the kernel reads the first `n` headers and what they point at, whatever the view's length.
    const sent = this.#call(this.#arena.arg, n);
    return sent < 0 ? { sent: 0, errno: this.#errno() } : { sent, errno: 0 };
  }
}
