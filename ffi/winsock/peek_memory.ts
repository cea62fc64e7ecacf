/**
 * The memory of each socket's overlapped peek — its OVERLAPPED record, the peek's WSAMSG and the
 * zero-length WSABUF it points at — which the kernel writes when the peek completes or is cancelled,
 * at a time no JS decides: possibly after a terminated worker's isolate has freed all of its own memory.
 * So it is native memory that is never freed: slots of 128 bytes carved from 64 KiB regions of
 * VirtualAlloc (512 slots a region), one free list per thread (per isolate: this module's state).
 *
 * A socket takes a slot when it opens and gives it back when it is released, which the backend does only
 * when no peek is pending (its wait fired, or none was posted). A slot under a peek that can no longer be
 * watched (a pinned socket) or whose thread ended (a terminated worker) is simply left: never reused.
 * Cost: 128 bytes of native memory per open socket, and the regions stay mapped for the life of the process
 * (64 KiB for each 512 sockets a thread had open at once).
 *
 * @module
 */
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE } from "../../structs/constants.ts";
import { WIN } from "../../structs/windows.ts";
import type { Native } from "../types.ts";

/** Offsets in a slot; each record 8-aligned. */
const SLOT = { overlapped: 0, msg: 32, buf: 88, size: 128 } as const;
const REGION = 65536;

/** One socket's peek memory. */
export interface PeekSlot {
  /** The OVERLAPPED record (WSAOVERLAPPED). */
  readonly overlapped: Uint8Array;
  /** The peek's WSAMSG: no name, one zero-length buffer, no control buffer. */
  readonly msg: Uint8Array;
  /** A view of the whole slot (the offsets are those of WIN's layouts from the slot's start). */
  readonly dv: DataView;
  /** Where the WSAMSG's dwFlags is, in `dv`. */
  readonly flagsAt: number;
  /** Where the OVERLAPPED's hEvent is, in `dv`. */
  readonly eventAt: number;
}

/** VirtualAlloc, as the Windows backend's kernel32 table has it. */
type Alloc = (address: bigint, size: bigint, type: number, protect: number) => bigint;

/**
 * The free list of slots of one thread.
 *
 * @example
 * ```ts ignore
 * const peeks = new PeekMemory(k32.VirtualAlloc, native.viewBytes);
 * const slot = peeks.take(); // ... peeks.give(slot) once no peek is pending
 * ```
 */
export class PeekMemory {
  readonly #alloc: Alloc;
  readonly #view: Native["viewBytes"];
  readonly #free: PeekSlot[] = [];
  /** Slots taken and not given back (for tests). */
  inUse = 0;
  /** Regions mapped so far, each of 512 slots (for tests). */
  regions = 0;

  /** `alloc` maps a region (VirtualAlloc); `viewBytes` views it without a copy. Nothing is mapped before the first take. */
  constructor(alloc: Alloc, viewBytes: Native["viewBytes"]) {
    this.#alloc = alloc;
    this.#view = viewBytes;
  }

  /** A slot with its WSAMSG and WSABUF set up; a new region when none is free. */
  take(): PeekSlot {
    if (this.#free.length === 0) this.#grow();
    this.inUse++;
    return this.#free.pop()!;
  }

  /** Back to the free list: only once the kernel no longer owns it (no peek pending). */
  give(slot: PeekSlot): void {
    this.inUse--;
    this.#free.push(slot);
  }

  #grow(): void {
    const base = this.#alloc(0n, BigInt(REGION), MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (base === 0n) throw new Error("recvmsg: VirtualAlloc could not make memory for overlapped receives");
    this.regions++;
    // Whole regions: one view each, so every slot's views share one ArrayBuffer larger than 64 bytes.
    const region = this.#view(base, REGION);
    const MSG = WIN.WSAMSG.fields;
    const BUF = WIN.WSABUF.fields;
    for (let at = REGION - SLOT.size; at >= 0; at -= SLOT.size) {
      const address = base + BigInt(at);
      const dv = new DataView(region.buffer, region.byteOffset + at, SLOT.size);
      // The zero-length WSABUF points at itself: the kernel writes no byte through it.
      dv.setBigUint64(SLOT.buf + BUF.buf.offset, address + BigInt(SLOT.buf), true);
      dv.setUint32(SLOT.buf + BUF.len.offset, 0, true);
      dv.setBigUint64(SLOT.msg + MSG.lpBuffers.offset, address + BigInt(SLOT.buf), true);
      dv.setUint32(SLOT.msg + MSG.dwBufferCount.offset, 1, true);
      this.#free.push({
        overlapped: region.subarray(at + SLOT.overlapped, at + SLOT.overlapped + WIN.WSAOVERLAPPED.size),
        msg: region.subarray(at + SLOT.msg, at + SLOT.msg + WIN.WSAMSG.size),
        dv,
        flagsAt: SLOT.msg + MSG.dwFlags.offset,
        eventAt: SLOT.overlapped + WIN.WSAOVERLAPPED.fields.hEvent.offset,
      });
    }
  }
}
