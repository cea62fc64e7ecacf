// The thread-end destructor Deno and Bun use on Linux x86-64 (ffi/tables/thread_end.ts) is what the
// system's assembler makes of the assembly beside it, and reads the table at the offsets the caller writes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { THREAD_END_CODE, THREAD_END_SOURCE, THREAD_END_TABLE as T } from "../../ffi/tables/thread_end.ts";

it("the thread-end destructor's bytes are what x86-64 `as` assembles from its source", () => {
  const dir = mkdtempSync(join(tmpdir(), "recvmsg-thread-end-"));
  writeFileSync(join(dir, "t.s"), THREAD_END_SOURCE);
  execFileSync("as", ["--64", "-o", join(dir, "t.o"), join(dir, "t.s")]);
  execFileSync("objcopy", ["-O", "binary", "-j", ".text", join(dir, "t.o"), join(dir, "t.bin")]);
  expect([...new Uint8Array(readFileSync(join(dir, "t.bin")))]).toEqual([...THREAD_END_CODE]);
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
