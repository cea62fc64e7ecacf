// The machine code Node needs on Windows (ffi/tables/thunks.ts) is what mingw-w64's assembler makes of the
// assembly beside it: assembled here and compared byte for byte.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import {
  CALL_BLOCK,
  CALL_BY_ADDRESS,
  POST_COMPLETION,
  POST_COMPLETION_BLOCK_AT,
  THUNK_SOURCE,
} from "../../ffi/tables/thunks.ts";

it("the thunks' bytes are what x86_64-w64-mingw32-as assembles from their source", () => {
  const dir = mkdtempSync(join(tmpdir(), "recvmsg-thunks-"));
  writeFileSync(join(dir, "t.s"), THUNK_SOURCE);
  execFileSync("x86_64-w64-mingw32-as", ["-o", join(dir, "t.o"), join(dir, "t.s")]);
  execFileSync("x86_64-w64-mingw32-objcopy", ["-O", "binary", "-j", ".text", join(dir, "t.o"), join(dir, "t.bin")]);
  const code = new Uint8Array(readFileSync(join(dir, "t.bin")));
  expect([...code.subarray(0, CALL_BY_ADDRESS.length)]).toEqual([...CALL_BY_ADDRESS]);
  const post = code.subarray(CALL_BY_ADDRESS.length, CALL_BY_ADDRESS.length + POST_COMPLETION.length);
  expect([...post]).toEqual([...POST_COMPLETION]);
  // The placeholder address sits where the block's address is patched in.
  expect([...post.subarray(POST_COMPLETION_BLOCK_AT, POST_COMPLETION_BLOCK_AT + 8)]).toEqual([
    0x88,
    0x77,
    0x66,
    0x55,
    0x44,
    0x33,
    0x22,
    0x11,
  ]);
  expect(post.subarray(POST_COMPLETION_BLOCK_AT - 2, POST_COMPLETION_BLOCK_AT)).toEqual(new Uint8Array([0x48, 0xb8])); // movabs rax, imm64
  // The block offsets the code uses are the ones the caller writes.
  expect(THUNK_SOURCE).toContain(`mov [rbx+${CALL_BLOCK.result}], rax`);
  expect(THUNK_SOURCE).toContain(`mov [rbx+${CALL_BLOCK.lastError}], eax`);
});
