// The thread-end destructor Deno and Bun use on Linux x86-64 (ffi/tables/thread_end.ts) is what the
// system's assembler makes of the assembly beside it, and reads the table at the offsets the caller writes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import {
  POLL_WAKE_CODE,
  POLL_WAKE_SOURCE,
  POLL_WAKE_WORDS as P,
  THREAD_END_CODE,
  THREAD_END_SOURCE,
  THREAD_END_TABLE as T,
  UNMAP_END_CODE,
  UNMAP_END_SOURCE,
  UNMAP_END_WORDS as U,
  WINDOWS_THREAD_END_CODE,
  WINDOWS_THREAD_END_SOURCE,
  WINDOWS_THREAD_END_TABLE as W,
} from "../../ffi/tables/thread_end.ts";

/** The .text bytes the assembler makes of `source`, and its symbol table (`nm`). */
function assemble(source: string, tag: string, as = "as", prefix = ""): { code: Uint8Array; symbols: string } {
  const dir = mkdtempSync(join(tmpdir(), `recvmsg-${tag}-`));
  writeFileSync(join(dir, "t.s"), source);
  execFileSync(as, [...(prefix ? [] : ["--64"]), "-o", join(dir, "t.o"), join(dir, "t.s")]);
  execFileSync(`${prefix}objcopy`, ["-O", "binary", "-j", ".text", join(dir, "t.o"), join(dir, "t.bin")]);
  const symbols = execFileSync(`${prefix}nm`, [join(dir, "t.o")], { encoding: "utf8" });
  return { code: new Uint8Array(readFileSync(join(dir, "t.bin"))), symbols };
}

/** Where `nm` says the assembler put `name` (a local text symbol). */
const symbolAt = (symbols: string, name: string) =>
  parseInt(new RegExp(`^([0-9a-f]+) t ${name}$`, "m").exec(symbols)![1], 16);

it("the thread-end destructor's bytes are what x86-64 `as` assembles from its source", () => {
  expect([...assemble(THREAD_END_SOURCE, "thread-end").code]).toEqual([...THREAD_END_CODE]);
});

it("the destructor reads the table where the caller writes it", () => {
  const src = THREAD_END_SOURCE;
  expect(src).toContain(`call qword ptr [rbx]      # close`);
  expect(T.close).toBe(0);
  expect(src).toContain(`call qword ptr [rbx+${T.write}]    # write`);
  expect(src).toContain(`call qword ptr [rbx+${T.keyDelete}]   # pthread_key_delete`);
  expect(src).toContain(`mov rax, [rbx+${T.munmap}]`);
  expect(src).toContain(`mov edi, dword ptr [rbx+${T.key}]`);
  expect(src).toContain(`mov rdi, [rbx+${T.mapping}]`);
  expect(src).toContain(`mov rsi, [rbx+${T.mappingSize}]`);
  expect(src).toContain(`call qword ptr [rbx+${T.nanosleep}]`);
  expect(src.match(new RegExp(`cmp r12, \\[rbx\\+${T.capacity}\\]`, "g"))?.length).toBe(2);
  expect(src.match(new RegExp(`mov rax, \\[rbx\\+${T.slots}\\+r12\\*8\\]`, "g"))?.length).toBe(2);
});

it("the Windows thread-end callback's bytes are what x86_64-w64-mingw32-as assembles from its source", () => {
  const { code } = assemble(
    WINDOWS_THREAD_END_SOURCE,
    "thread-end-win",
    "x86_64-w64-mingw32-as",
    "x86_64-w64-mingw32-",
  );
  // The section is padded to 16 bytes with nops; the code is what comes before.
  expect([...code.subarray(0, WINDOWS_THREAD_END_CODE.length)]).toEqual([...WINDOWS_THREAD_END_CODE]);
  expect([...code.subarray(WINDOWS_THREAD_END_CODE.length)].every((b) => b === 0x90)).toBe(true);
  const src = WINDOWS_THREAD_END_SOURCE;
  expect(src).toContain(`cmp rsi, [rbx+${W.capacity}]`);
  expect(src).toContain(`mov rcx, [rbx+${W.slots}+rsi*8]`);
  expect(src).toContain(`mov rax, [rbx+${W.virtualFree}]`);
  expect(W.closesocket).toBe(0);
  expect(src).toMatch(/call qword ptr \[rbx\] +# closesocket/);
});

it("the poll-wake callback's bytes are what x86-64 `as` assembles from its source, words where the caller writes them", () => {
  const { code, symbols } = assemble(POLL_WAKE_SOURCE, "poll-wake");
  expect([...code]).toEqual([...POLL_WAKE_CODE]);
  // The symbol table says where the assembler put each word.
  const at = (name: string) => symbolAt(symbols, name);
  expect({ uvPollStop: at("stop"), write: at("write"), fd: at("fd") }).toEqual(P);
  expect(POLL_WAKE_CODE[at("one")]).toBe(1);
});

it("the arena-unmapping hook's bytes are what x86-64 `as` assembles from its source, words where the caller writes them", () => {
  const { code, symbols } = assemble(UNMAP_END_SOURCE, "unmap-end");
  expect([...code]).toEqual([...UNMAP_END_CODE]);
  const at = (name: string) => symbolAt(symbols, name);
  expect({ size: at("size"), munmap: at("munmap") }).toEqual(U);
});
