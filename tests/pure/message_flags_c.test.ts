// The receive flags exported for Linux against glibc's <sys/socket.h>, compiled by gcc: each non-zero value as
// a static assertion, and each 0 as a flag the headers do not define (Linux has no MSG_BCAST / MSG_MCAST).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DARWIN_MESSAGE_FLAGS,
  LINUX_MESSAGE_FLAGS,
  type MessageFlags,
  messageFlagsFor,
  WINDOWS_MESSAGE_FLAGS,
} from "../../structs/message_flags.ts";

const dir = mkdtempSync(join(tmpdir(), "recvmsg-flags-c-"));

function source(flags: MessageFlags): string {
  const lines = ["#define _GNU_SOURCE", "#include <sys/socket.h>"];
  for (const [name, value] of Object.entries(flags)) {
    if (value === 0) lines.push(`#ifdef ${name}`, `#error "${name} is defined, but the table says 0"`, "#endif");
    else lines.push(`_Static_assert(${name} == ${value}, "${name} is ${value}");`);
  }
  return lines.join("\n") + "\n";
}

function compile(name: string, src: string): void {
  writeFileSync(join(dir, `${name}.c`), src);
  execFileSync("gcc", ["-std=c11", "-Wall", "-Werror", "-c", join(dir, `${name}.c`), "-o", join(dir, `${name}.o`)], {
    stdio: "pipe",
  });
}

describe("receive flags", () => {
  it("Linux: every value glibc's headers give, and 0 for the flags they do not define", () => {
    expect(LINUX_MESSAGE_FLAGS).toEqual({
      MSG_PEEK: 0x2,
      MSG_TRUNC: 0x20,
      MSG_CTRUNC: 0x8,
      MSG_BCAST: 0,
      MSG_MCAST: 0,
    });
    compile("linux_flags", source(LINUX_MESSAGE_FLAGS));
  });

  it("a drifted value, or a 0 for a flag Linux has, fails to compile (the check can fail)", () => {
    expect(() => compile("drift", source({ ...LINUX_MESSAGE_FLAGS, MSG_TRUNC: 0x100 }))).toThrow(/MSG_TRUNC is 256/);
    expect(() => compile("zero", source({ ...LINUX_MESSAGE_FLAGS, MSG_CTRUNC: 0 }))).toThrow(/MSG_CTRUNC is defined/);
  });

  it("Windows keeps winsock2.h's values (proven against mingw by layout_c); macOS XNU's, with no MSG_BCAST/MCAST", () => {
    expect(WINDOWS_MESSAGE_FLAGS).toEqual({
      MSG_PEEK: 0x2,
      MSG_TRUNC: 0x100,
      MSG_CTRUNC: 0x200,
      MSG_BCAST: 0x400,
      MSG_MCAST: 0x800,
    });
    expect(DARWIN_MESSAGE_FLAGS).toEqual({
      MSG_PEEK: 0x2,
      MSG_TRUNC: 0x10,
      MSG_CTRUNC: 0x20,
      MSG_BCAST: 0,
      MSG_MCAST: 0,
    });
  });

  it("messageFlagsFor picks by the system's name", () => {
    expect(messageFlagsFor("linux")).toBe(LINUX_MESSAGE_FLAGS);
    expect(messageFlagsFor("darwin")).toBe(DARWIN_MESSAGE_FLAGS);
    expect(messageFlagsFor("windows")).toBe(WINDOWS_MESSAGE_FLAGS);
  });
});
