/**
 * Closing a Deno or Bun worker's descriptors, and unmapping its read-ahead arenas, when
 * `worker.terminate()` ends its thread (Linux x86-64): the thread's descriptors and mappings are kept in a
 * table in memory of their own, beside the destructor of ffi/tables/thread_end.ts, and a
 * `pthread_key_create` key with that destructor holds the table for this thread. The C library runs it as the thread exits, whatever ended the JavaScript: the ports are free at
 * once, the waiting thread of the event queue is told to return, and the key and the memory go too. A
 * thread that ends normally (its sockets closed) finds an empty table and gives back the same.
 *
 * @module
 */
import { LIBC_MMAP, libcPath } from "../tables/libc.ts";
import { LIBC_THREAD_END, mappingSlot, THREAD_END_CODE, THREAD_END_TABLE as T } from "../tables/thread_end.ts";
import type { Bound, Native } from "../types.ts";
import { WindowsThreadEnd } from "./windows_thread_end.ts";

const PAGE = 4096;
// Linux mmap(2) values: PROT_READ, PROT_WRITE, PROT_EXEC; MAP_PRIVATE | MAP_ANONYMOUS; MAP_FAILED (void *)-1.
const PROT_RW = 0x1 | 0x2;
const PROT_RX = 0x1 | 0x4;
const MAP_FLAGS = 0x02 | 0x20;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const WAKE = 1n << 32n;
const EMPTY = -1n;

type Mm = Bound<typeof LIBC_MMAP>;
type Lib = Bound<typeof LIBC_THREAD_END>;

/**
 * This thread's descriptors, closed by the C library if the thread ends with them open.
 *
 * @example
 * ```ts ignore
 * const end = PosixThreadEnd.make(native.open, native.viewBytes, "linux", "x86_64");
 * end?.closeWithThread(fd, true);  // closed if this worker's thread ends first
 * end?.closeWithThread(fd, false); // before closing it ourselves
 * ```
 */
export class PosixThreadEnd {
  readonly #mm: Mm;
  readonly #lib: Lib;
  readonly #viewBytes: Native["viewBytes"];
  readonly #fns: readonly bigint[];
  #key = -1;
  #mapping = 0n;
  #size = 0;
  #table: DataView | null = null;
  #capacity = 0;
  readonly #slotOf = new Map<number, number>();
  readonly #mappingOf = new Map<bigint, number>();
  readonly #free: number[] = [];
  #next = 0;
  /** Set once memory or a key could not be had: from then on nothing is kept (as on other systems). */
  #failed = false;

  private constructor(mm: Mm, lib: Lib, viewBytes: Native["viewBytes"], fns: bigint[]) {
    this.#mm = mm;
    this.#lib = lib;
    this.#viewBytes = viewBytes;
    this.#fns = fns;
  }

  /** The table of this thread, or null where it cannot be had (another system or processor, no such symbols). */
  static make(open: Native["open"], viewBytes: Native["viewBytes"], os: string, arch: string): PosixThreadEnd | null {
    if (os !== "linux" || arch !== "x86_64") return null;
    try {
      const lib = open("libc.so.6", LIBC_THREAD_END);
      const mm = open("libc.so.6", LIBC_MMAP);
      const name = new Uint8Array(new ArrayBuffer(128));
      const fns = ["close", "write", "pthread_key_delete", "munmap", "nanosleep"].map((s) => {
        name.fill(0);
        name.set(new TextEncoder().encode(s));
        return lib.dlsym(0n, name);
      });
      if (fns.some((f) => f === 0n)) return null;
      return new PosixThreadEnd(mm, lib, viewBytes, fns);
    } catch {
      return null;
    }
  }

  /**
   * `fd` is closed at this thread's end if still open then (`on`), or no longer (`on` false). `wake`: 1 is
   * written to it first (an eventfd or pipe that ends a wait on another thread).
   */
  closeWithThread(fd: number | bigint, on: boolean, wake = false): void {
    const n = Number(fd);
    this.#keep(this.#slotOf, n, on ? BigInt(n) | (wake ? WAKE : 0n) : null);
  }

  /**
   * The mapping at `address` of `size` bytes is unmapped at this thread's end if still mapped then (`on`),
   * or no longer (`on` false). One that cannot be a slot (see mappingSlot) is not kept.
   */
  unmapWithThread(address: bigint, size: number, on: boolean): void {
    this.#keep(this.#mappingOf, address, on ? mappingSlot(address, size) : null);
  }

  /** Writes `value` into a slot for `key` (a free one, or the table grown), or frees `key`'s slot (null). */
  #keep<K>(slots: Map<K, number>, key: K, value: bigint | null): void {
    if (value === null) {
      const slot = slots.get(key);
      if (slot === undefined) return;
      slots.delete(key);
      this.#table!.setBigInt64(T.slots + 8 * slot, EMPTY, true);
      this.#free.push(slot);
      return;
    }
    if (slots.has(key) || this.#failed) return;
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#next === this.#capacity && !this.#grow()) return;
      slot = this.#next++;
    }
    slots.set(key, slot);
    this.#table!.setBigInt64(T.slots + 8 * slot, value, true);
  }

  /**
   * A mapping twice as large (the first holds 503 slots): the code page, then the table with the slots
   * copied over. The destructor's address is the key's, so the new mapping gets a new key; the old key
   * and mapping go. False, and nothing kept from then on, if memory or a key cannot be had.
   */
  #grow(): boolean {
    const capacity = this.#capacity === 0 ? (PAGE - T.slots) / 8 : this.#capacity * 2;
    const tableBytes = Math.ceil((T.slots + 8 * capacity) / PAGE) * PAGE;
    const size = PAGE + tableBytes;
    const mm = this.#mm;
    const mapping = mm.mmap(0n, BigInt(size), PROT_RW, MAP_FLAGS, -1, 0n);
    if (mapping === MAP_FAILED || mapping === 0n) return this.#fail();
    this.#viewBytes(mapping, THREAD_END_CODE.length).set(THREAD_END_CODE);
    if (mm.mprotect(mapping, BigInt(PAGE), PROT_RX) !== 0) {
      mm.munmap(mapping, BigInt(size));
      return this.#fail();
    }
    const tableAt = mapping + BigInt(PAGE);
    const bytes = this.#viewBytes(tableAt, tableBytes);
    const table = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keyOut = new Uint8Array(new ArrayBuffer(128));
    if (this.#lib.pthread_key_create(keyOut, mapping) !== 0) {
      mm.munmap(mapping, BigInt(size));
      return this.#fail();
    }
    const key = new DataView(keyOut.buffer).getUint32(0, true);
    const [close, write, keyDelete, munmap, nanosleep] = this.#fns;
    table.setBigUint64(T.close, close, true);
    table.setBigUint64(T.write, write, true);
    table.setBigUint64(T.keyDelete, keyDelete, true);
    table.setBigUint64(T.munmap, munmap, true);
    table.setBigUint64(T.nanosleep, nanosleep, true);
    table.setBigUint64(T.key, BigInt(key), true);
    table.setBigUint64(T.mapping, mapping, true);
    table.setBigUint64(T.mappingSize, BigInt(size), true);
    table.setBigUint64(T.capacity, BigInt(capacity), true);
    for (let i = 0; i < capacity; i++) {
      table.setBigInt64(
        T.slots + 8 * i,
        i < this.#capacity ? this.#table!.getBigInt64(T.slots + 8 * i, true) : EMPTY,
        true,
      );
    }
    // The old table is disarmed (no slots) before the new one is this thread's: a thread ended between the
    // two then leaks what they hold instead of running two destructors over the same descriptors and
    // mappings (the second, 2 ms later, could close or unmap what another thread has made since).
    const old = this.#table;
    old?.setBigUint64(T.capacity, 0n, true);
    if (this.#lib.pthread_setspecific(key, tableAt) !== 0) {
      // Not held by this thread: a key without a value runs no destructor; give both back.
      old?.setBigUint64(T.capacity, BigInt(this.#capacity), true);
      this.#deleteKey(key);
      mm.munmap(mapping, BigInt(size));
      return this.#fail();
    }
    if (this.#mapping !== 0n) {
      this.#deleteKey(this.#key);
      mm.munmap(this.#mapping, BigInt(this.#size));
    }
    this.#key = key;
    this.#mapping = mapping;
    this.#size = size;
    this.#table = table;
    this.#capacity = capacity;
    return true;
  }

  #deleteKey(key: number): void {
    this.#lib.pthread_key_delete(key);
  }

  #fail(): boolean {
    this.#failed = true;
    return false;
  }
}

/**
 * `bytes` of memory that is never freed (nor moves): what a wait on another thread writes into. A terminated
 * worker's isolate frees its ArrayBuffers, but its wait may still return (told to by the destructor above,
 * or with a datagram that came first) and write events there: into memory of its own, that is harmless.
 * One mapping per thread that waits, left mapped when the thread ends (4 KiB per worker).
 *
 * @example
 * ```ts ignore
 * const events = lastingMemory(native.open, native.viewBytes, "linux", 1024);
 * ```
 */
export function lastingMemory(
  open: Native["open"],
  viewBytes: Native["viewBytes"],
  os: string,
  bytes: number,
): Uint8Array {
  if (os === "linux" || os === "darwin") {
    try {
      const mm = open(libcPath(os), LIBC_MMAP);
      // MAP_PRIVATE | MAP_ANONYMOUS (Linux 0x20, Darwin 0x1000).
      const mapping = mm.mmap(0n, BigInt(bytes), PROT_RW, 0x02 | (os === "linux" ? 0x20 : 0x1000), -1, 0n);
      if (mapping !== MAP_FAILED && mapping !== 0n) return viewBytes(mapping, bytes);
    } catch {
      // Below: memory of the isolate, as before.
    }
  }
  return new Uint8Array(new ArrayBuffer(Math.max(bytes, 128)));
}

/** This isolate's thread end: undefined until the first socket, null where there is none. */
let threadEnd: PosixThreadEnd | WindowsThreadEnd | null | undefined;

function thisThreadEnd(native: Pick<Native, "open" | "viewBytes" | "os" | "arch">) {
  if (threadEnd === undefined) {
    threadEnd = native.os === "windows"
      ? WindowsThreadEnd.make(native.open, native.viewBytes, native.os, native.arch)
      : PosixThreadEnd.make(native.open, native.viewBytes, native.os, native.arch);
  }
  return threadEnd;
}

/**
 * `Native.closeWithThread` for Deno and Bun, whose worker threads end without running JavaScript: the
 * thread end of this OS (a pthread key destructor on Linux x86-64, a fiber-local storage callback on
 * Windows x64), made at the first socket so that a process without sockets maps and keys nothing.
 *
 * @example
 * ```ts ignore
 * closeWithThreadEnd(native, fd, true); // fd is closed when this thread ends
 * ```
 */
export function closeWithThreadEnd(
  native: Pick<Native, "open" | "viewBytes" | "os" | "arch">,
  fd: number | bigint,
  on: boolean,
  wake?: boolean,
): void {
  thisThreadEnd(native)?.closeWithThread(fd, on, wake);
}

/**
 * `Native.unmapWithThread` for Deno and Bun: the same destructor unmaps a terminated worker's read-ahead
 * arenas (Linux x86-64; elsewhere nothing is kept).
 *
 * @example
 * ```ts ignore
 * unmapWithThreadEnd(native, mapping, 135168, true); // unmapped when this thread ends
 * ```
 */
export function unmapWithThreadEnd(
  native: Pick<Native, "open" | "viewBytes" | "os" | "arch">,
  address: bigint,
  size: number,
  on: boolean,
): void {
  const end = thisThreadEnd(native);
  if (end instanceof PosixThreadEnd) end.unmapWithThread(address, size, on);
}
