// The waiting code's C values, proven against the headers: epoll's (glibc, gcc) and the layout the
// Windows thunk test reads (MEMORY_BASIC_INFORMATION, mingw-w64). PAGE_* are structs/ constants,
// proven with the others by layout_c.test.ts. kqueue's come from Apple's <sys/event.h> (no macOS here).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { EPOLL_VALUES, epollEventLayout } from "../../ffi/posix/event_values.ts";

const dir = mkdtempSync(join(tmpdir(), "recvmsg-wait-c-"));

function compile(compiler: string, name: string, src: string): void {
  writeFileSync(join(dir, name), src);
  execFileSync(compiler, ["-std=gnu11", "-Wall", "-Werror", "-c", join(dir, name), "-o", join(dir, `${name}.o`)], {
    stdio: "pipe",
  });
}

function epollSource(values: Record<string, number>, layout: { size: number; data: number }): string {
  const lines = ["#include <sys/epoll.h>", "#include <errno.h>", "#include <stddef.h>"];
  for (const [name, value] of Object.entries(values)) {
    lines.push(`_Static_assert((unsigned int)(${name}) == ${value >>> 0}u, "${name} is ${value}");`);
  }
  lines.push(`_Static_assert(sizeof(struct epoll_event) == ${layout.size}, "sizeof(struct epoll_event)");`);
  lines.push(`_Static_assert(offsetof(struct epoll_event, data) == ${layout.data}, "offsetof(epoll_event, data)");`);
  return lines.join("\n") + "\n";
}

it("epoll's constants and struct epoll_event (x86-64) compile as static assertions under gcc", () => {
  compile("gcc", "epoll.c", epollSource(EPOLL_VALUES, epollEventLayout("x86_64")));
});

it("a drifted epoll value fails to compile (the check can fail)", () => {
  expect(() => compile("gcc", "drift.c", epollSource({ ...EPOLL_VALUES, EPOLLOUT: 2 }, epollEventLayout("x86_64"))))
    .toThrow(/EPOLLOUT is 2/);
  expect(() => compile("gcc", "drift2.c", epollSource(EPOLL_VALUES, epollEventLayout("aarch64")))).toThrow(
    /sizeof\(struct epoll_event\)/,
  );
});

it("MEMORY_BASIC_INFORMATION: 48 bytes, Protect at 36 (x64, mingw-w64)", () => {
  compile(
    "x86_64-w64-mingw32-gcc",
    "mbi.c",
    `#include <windows.h>
#include <stddef.h>
_Static_assert(sizeof(MEMORY_BASIC_INFORMATION) == 48, "sizeof");
_Static_assert(offsetof(MEMORY_BASIC_INFORMATION, Protect) == 36, "Protect");
`,
  );
});
