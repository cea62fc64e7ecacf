/**
 * The one slot layout of every recvmmsg / sendmmsg user (the batch receive, read-ahead, the batch send):
 * an arena that starts with the mmsghdr vector, then one iovec per slot, then one name per slot (32
 * bytes hold any sockaddr_in6), then, where the user keeps them there, one control area per slot.
 * Each mmsghdr's msg_iov points at its iovec (msg_iovlen 1) and msg_name at its name; data and control
 * areas that are sized per request live beside the arena and are pointed at by their users.
 *
 * @module
 */
import { LNX } from "../../structs/linux.ts";
import { native } from "../native.ts";
import { setPointer } from "../common/receive_target.ts";

const MMSG = LNX.mmsghdr;
const MSG = LNX.msghdr.fields;
const IOV = LNX.iovec;

/** The most slots one call takes (what the batch users ask for; the kernel's UIO_MAXIOV is far larger). */
export const MAX_SLOTS = 64;
/** Bytes of one slot's name: any sockaddr_in6 (28) fits. */
export const NAME_SLOT = 32;

/** Offsets of the fields a slot's user writes and reads, from the start of its mmsghdr or iovec. */
export const SLOT = {
  /** mmsghdr.msg_len: the bytes the kernel received or sent for the slot. */
  len: MMSG.fields.msg_len.offset,
  name: MSG.msg_name.offset,
  namelen: MSG.msg_namelen.offset,
  control: MSG.msg_control.offset,
  controllen: MSG.msg_controllen.offset,
  flags: MSG.msg_flags.offset,
  iovBase: IOV.fields.iov_base.offset,
  iovLen: IOV.fields.iov_len.offset,
} as const;

/**
 * Where everything of `slots` slots sits in an arena: the vector at 0, the iovecs, the names, and
 * `controlSlot` bytes of control per slot (0: control areas live elsewhere).
 */
export interface SlotLayout {
  readonly slots: number;
  readonly iov: number;
  readonly name: number;
  readonly control: number;
  readonly controlSlot: number;
  readonly end: number;
}

/**
 * The layout of `slots` slots.
 *
 * @example
 * ```ts
 * import { slotLayout } from "./mmsg_slots.ts";
 * console.log(slotLayout(64).end); // 64 * (64 + 16 + 32)
 * ```
 */
export function slotLayout(slots: number, controlSlot = 0): SlotLayout {
  const iov = slots * MMSG.size;
  const name = iov + slots * IOV.size;
  const control = name + slots * NAME_SLOT;
  return Object.freeze({ slots, iov, name, control, controlSlot, end: control + slots * controlSlot });
}

/** Where slot `i`'s mmsghdr starts. */
export function mmsgAt(i: number): number {
  return i * MMSG.size;
}

/** Where slot `i`'s iovec starts. */
export function iovAt(layout: SlotLayout, i: number): number {
  return layout.iov + i * IOV.size;
}

/**
 * A fresh arena of `layout`'s slots in an ArrayBuffer of its own, each mmsghdr pointing at its name
 * slot and its one iovec (see {@link initSlots}).
 *
 * @example
 * ```ts
 * import { slotArena, slotLayout } from "./mmsg_slots.ts";
 * const arena = slotArena(slotLayout(64));
 * console.log(arena.u8.length > 0); // true
 * ```
 */
export function slotArena(layout: SlotLayout): { buffer: ArrayBuffer; u8: Uint8Array; dv: DataView; base: number } {
  const buffer = new ArrayBuffer(layout.end);
  const u8 = new Uint8Array(buffer);
  const dv = new DataView(buffer);
  const base = native.addressOf(u8);
  initSlots(layout, dv, base);
  return { buffer, u8, dv, base };
}

/**
 * Points each mmsghdr of `layout` in memory that never moves (an ArrayBuffer of more than 64 bytes, or a
 * mapping), seen through `dv` and starting at address `base`, at its name slot and its one iovec.
 *
 * @example
 * ```ts
 * import { initSlots, slotLayout } from "./mmsg_slots.ts";
 * import { native } from "../native.ts";
 * const layout = slotLayout(8);
 * const u8 = new Uint8Array(new ArrayBuffer(layout.end));
 * initSlots(layout, new DataView(u8.buffer), native.addressOf(u8));
 * ```
 */
export function initSlots(layout: SlotLayout, dv: DataView, base: number): void {
  for (let i = 0; i < layout.slots; i++) {
    const m = mmsgAt(i);
    setPointer(dv, m + MSG.msg_name.offset, base + layout.name + i * NAME_SLOT);
    setPointer(dv, m + MSG.msg_iov.offset, base + iovAt(layout, i));
    dv.setUint32(m + MSG.msg_iovlen.offset, 1, true);
    dv.setUint32(m + MSG.msg_iovlen.offset + 4, 0, true);
  }
}

/** Writes a 64-bit size field (msg_controllen, iov_len) from a number below 2^32. */
export function setSize(dv: DataView, at: number, value: number): void {
  dv.setUint32(at, value, true);
  dv.setUint32(at + 4, 0, true);
}
