/**
 * Closing a Deno or Bun worker's sockets when `worker.terminate()` ends its thread, on Windows x64: as
 * ffi/runtime/posix_thread_end.ts does on Linux, with a fiber-local storage slot instead of a pthread key.
 * The slot's callback (machine code, ffi/tables/thread_end.ts) runs as the thread exits with the slot set,
 * closes every socket in the table beside it and frees the allocation. The sockets' pending peeks then
 * complete as cancelled into memory that is never freed (ffi/winsock/peek_memory.ts), and their waits post
 * to the completion port through the thunk: nothing of the dead isolate runs.
 *
 * @module
 */
import { KERNEL32_NODE } from "../tables/windows.ts";
import { KERNEL32_THREAD_END, WINDOWS_THREAD_END_CODE, WINDOWS_THREAD_END_TABLE as T } from "../tables/thread_end.ts";
import type { Bound, Native } from "../types.ts";

const PAGE = 4096;
const MEM_COMMIT_RESERVE = 0x1000 | 0x2000;
const MEM_RELEASE = 0x8000;
const PAGE_READWRITE = 0x04;
const PAGE_EXECUTE_READ = 0x20;
const CURRENT_PROCESS = 0xffff_ffff_ffff_ffffn;
const FLS_OUT_OF_INDEXES = 0xffff_ffff;
const EMPTY = 0xffff_ffff_ffff_ffffn;

/** A NUL-terminated string in memory that does not move: UTF-16LE (`wide`) or ASCII. */
function z(s: string, wide: boolean): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(128));
  for (let i = 0; i < s.length; i++) out[wide ? 2 * i : i] = s.charCodeAt(i);
  return out;
}

/**
 * This thread's sockets, closed by Windows if the thread ends with them open.
 *
 * @example
 * ```ts ignore
 * const end = WindowsThreadEnd.make(native.open, native.viewBytes, "windows", "x86_64");
 * end?.closeWithThread(socket, true);
 * end?.closeWithThread(socket, false); // before closing it ourselves
 * ```
 */
export class WindowsThreadEnd {
  readonly #k32: Bound<typeof KERNEL32_NODE>;
  readonly #fls: Bound<typeof KERNEL32_THREAD_END>;
  readonly #viewBytes: Native["viewBytes"];
  readonly #fns: readonly [bigint, bigint];
  #index = -1;
  #allocation = 0n;
  #table: DataView | null = null;
  #capacity = 0;
  readonly #slotOf = new Map<bigint, number>();
  readonly #free: number[] = [];
  #next = 0;
  #failed = false;

  private constructor(
    k32: Bound<typeof KERNEL32_NODE>,
    fls: Bound<typeof KERNEL32_THREAD_END>,
    viewBytes: Native["viewBytes"],
    fns: [bigint, bigint],
  ) {
    this.#k32 = k32;
    this.#fls = fls;
    this.#viewBytes = viewBytes;
    this.#fns = fns;
  }

  /** The table of this thread, or null where it cannot be had (another system or processor). */
  static make(open: Native["open"], viewBytes: Native["viewBytes"], os: string, arch: string): WindowsThreadEnd | null {
    if (os !== "windows" || arch !== "x86_64") return null;
    try {
      const k32 = open("kernel32.dll", KERNEL32_NODE);
      const fls = open("kernel32.dll", KERNEL32_THREAD_END);
      const ws2 = k32.GetModuleHandleW(z("ws2_32.dll", true));
      const closesocket = ws2 === 0n ? 0n : k32.GetProcAddress(ws2, z("closesocket", false));
      const virtualFree = k32.GetProcAddress(k32.GetModuleHandleW(z("kernel32.dll", true)), z("VirtualFree", false));
      if (closesocket === 0n || virtualFree === 0n) return null;
      return new WindowsThreadEnd(k32, fls, viewBytes, [closesocket, virtualFree]);
    } catch {
      return null;
    }
  }

  /** `socket` is closed at this thread's end if still open then (`on`), or no longer (`on` false). */
  closeWithThread(socket: number | bigint, on: boolean): void {
    const s = BigInt(socket);
    if (!on) {
      const slot = this.#slotOf.get(s);
      if (slot === undefined) return;
      this.#slotOf.delete(s);
      this.#table!.setBigUint64(T.slots + 8 * slot, EMPTY, true);
      this.#free.push(slot);
      return;
    }
    if (this.#slotOf.has(s) || this.#failed) return;
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#next === this.#capacity && !this.#grow()) return;
      slot = this.#next++;
    }
    this.#slotOf.set(s, slot);
    this.#table!.setBigUint64(T.slots + 8 * slot, s, true);
  }

  /**
   * An allocation twice as large (the first holds 509 sockets): the code page, then the table with the
   * slots copied over, under a new FLS slot. The old slot is emptied before it is freed (freeing a set
   * slot would run its callback: every socket closed). False, and nothing kept from then on, on failure.
   */
  #grow(): boolean {
    const capacity = this.#capacity === 0 ? (PAGE - T.slots) / 8 : this.#capacity * 2;
    const tableBytes = Math.ceil((T.slots + 8 * capacity) / PAGE) * PAGE;
    const k32 = this.#k32;
    const at = k32.VirtualAlloc(0n, BigInt(PAGE + tableBytes), MEM_COMMIT_RESERVE, PAGE_READWRITE);
    if (at === 0n) return this.#fail();
    this.#viewBytes(at, WINDOWS_THREAD_END_CODE.length).set(WINDOWS_THREAD_END_CODE);
    const old = new Uint8Array(new ArrayBuffer(72)).subarray(0, 4);
    if (!k32.VirtualProtect(at, BigInt(PAGE), PAGE_EXECUTE_READ, old)) {
      this.#fls.VirtualFree(at, 0n, MEM_RELEASE);
      return this.#fail();
    }
    k32.FlushInstructionCache(CURRENT_PROCESS, at, BigInt(PAGE));
    const bytes = this.#viewBytes(at + BigInt(PAGE), tableBytes);
    const table = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    table.setBigUint64(T.closesocket, this.#fns[0], true);
    table.setBigUint64(T.virtualFree, this.#fns[1], true);
    table.setBigUint64(T.capacity, BigInt(capacity), true);
    for (let i = 0; i < capacity; i++) {
      table.setBigUint64(
        T.slots + 8 * i,
        i < this.#capacity ? this.#table!.getBigUint64(T.slots + 8 * i, true) : EMPTY,
        true,
      );
    }
    const index = this.#fls.FlsAlloc(at);
    if (index === FLS_OUT_OF_INDEXES) {
      this.#fls.VirtualFree(at, 0n, MEM_RELEASE);
      return this.#fail();
    }
    if (!this.#fls.FlsSetValue(index, at + BigInt(PAGE))) {
      this.#fls.FlsFree(index);
      this.#fls.VirtualFree(at, 0n, MEM_RELEASE);
      return this.#fail();
    }
    if (this.#index >= 0) {
      this.#fls.FlsSetValue(this.#index, 0n);
      this.#fls.FlsFree(this.#index);
      this.#fls.VirtualFree(this.#allocation, 0n, MEM_RELEASE);
    }
    this.#index = index;
    this.#allocation = at;
    this.#table = table;
    this.#capacity = capacity;
    return true;
  }

  #fail(): boolean {
    this.#failed = true;
    return false;
  }
}
