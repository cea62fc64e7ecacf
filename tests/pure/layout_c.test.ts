// Layouts are proven, not believed: the tables in structs/ are compiled against mingw-w64's real
// Windows headers, and the header's own WSA_CMSG_NXTHDR runs natively beside the TypeScript port.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as S from "../../structs/mod.ts";
import { countChecks, nxthdrWalkerSource, staticAssertsSource } from "../c/checks.ts";

const MINGW = "x86_64-w64-mingw32-gcc";
const dir = mkdtempSync(join(tmpdir(), "recvmsg-c-"));

let defines: string | undefined;
function mingwDefines(): string {
  writeFileSync(join(dir, "h.c"), "#include <winsock2.h>\n#include <ws2tcpip.h>\n#include <mswsock.h>\n");
  defines ??= execFileSync(MINGW, ["-E", "-dM", join(dir, "h.c")], { encoding: "utf8", maxBuffer: 64 << 20 });
  return defines;
}

describe("layouts and constants against mingw-w64 headers", () => {
  it("every size, offset, constant, error code and cmsg macro value compiles as a static assertion", () => {
    const src = staticAssertsSource();
    expect(countChecks(src)).toBeGreaterThan(400);
    writeFileSync(join(dir, "checks.c"), src);
    // A failing _Static_assert makes gcc exit non-zero and name the check; execFileSync then throws with it.
    execFileSync(MINGW, ["-std=c11", "-Wall", "-Werror", "-c", join(dir, "checks.c"), "-o", join(dir, "checks.o")], {
      stdio: "pipe",
    });
  });

  it("a drifted layout fails to compile (the check can fail)", () => {
    const src = staticAssertsSource().replace("offsetof(WSAMSG, dwFlags) == 48", "offsetof(WSAMSG, dwFlags) == 44");
    writeFileSync(join(dir, "drift.c"), src);
    expect(() =>
      execFileSync(MINGW, ["-std=c11", "-c", join(dir, "drift.c"), "-o", join(dir, "drift.o")], { stdio: "pipe" })
    )
      .toThrow(/offsetof\(WSAMSG, dwFlags\) is 48/);
  });

  it("WSAID_WSARECVMSG and WSAID_WSASENDMSG match the header's initialisers", () => {
    const defs = mingwDefines();
    for (
      const [name, ours] of [["WSAID_WSARECVMSG", S.WSAID_WSARECVMSG], [
        "WSAID_WSASENDMSG",
        S.WSAID_WSASENDMSG,
      ]] as const
    ) {
      const m = defs.match(new RegExp(`#define ${name} (\\{.*\\})`));
      expect(m, name).not.toBeNull();
      const nums = m![1].match(/0x[0-9a-fA-F]+/g)!.map((x) => parseInt(x, 16));
      expect(S.guidBytes(nums[0], nums[1], nums[2], nums.slice(3))).toEqual(ours);
    }
  });

  it("constants absent from mingw are listed with their source, and really are absent", () => {
    const defs = mingwDefines();
    for (const name of Object.keys(S.NOT_IN_MINGW)) {
      if (name === "WINSOCK_VERSION_2_2") continue;
      expect(defs.includes(`#define ${name} `), `${name} is in mingw now: move it into the compiled checks`).toBe(
        false,
      );
    }
  });
});

describe("WSA_CMSG_NXTHDR: the header's macro text, run natively, against the TypeScript port", () => {
  const exe = join(dir, "walk");
  const macros = mingwDefines().split("\n")
    .filter((l) =>
      /^#define (WSA_CMSG\w*|WSA_CMSGHDR_ALIGN|WSA_CMSGDATA_ALIGN|TYPE_ALIGNMENT|MAX_NATURAL_ALIGNMENT)\b/.test(l)
    )
    .join("\n");
  writeFileSync(join(dir, "walk.c"), nxthdrWalkerSource(macros));
  execFileSync("gcc", ["-std=c11", "-O1", "-o", exe, join(dir, "walk.c")], { stdio: "pipe" });

  function tsWalk(bytes: Uint8Array, controlLen: number): string {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: number[] = [];
    let at: number | null = null;
    for (let i = 0; i < 64; i++) {
      at = S.WSA_CMSG_NXTHDR(v, controlLen, at);
      if (at === null) break;
      out.push(at);
    }
    return out.map((o) => `${o} `).join("");
  }

  it("visits the same offsets on random control buffers", () => {
    // Every field below 2^20, so that any 8 bytes the walk reads as cmsg_len (a misaligned walk reads
    // parts of two fields) stay below 2^52: C's pointer arithmetic then cannot wrap, which would be
    // undefined behaviour rather than a difference. Huge lengths are covered by the pure walker tests.
    const small = fc.integer({ min: 0, max: 0xfffff });
    const caseArb = fc.array(
      fc.record({
        len: fc.oneof(fc.integer({ min: 0, max: 80 }), small),
        level: small,
        type: small,
        pad: fc.integer({ min: 0, max: 24 }),
      }),
      { maxLength: 5 },
    ).chain((hdrs) => {
      const bytes = new Uint8Array(hdrs.reduce((n, h) => n + 16 + h.pad, 0));
      const v = new DataView(bytes.buffer);
      let at = 0;
      for (const h of hdrs) {
        v.setBigUint64(at, BigInt(h.len), true);
        v.setInt32(at + 8, h.level, true);
        v.setInt32(at + 12, h.type, true);
        at += 16 + h.pad;
      }
      return fc.tuple(fc.constant(bytes), fc.integer({ min: 0, max: bytes.length }));
    });
    const cases = fc.sample(caseArb, { numRuns: 400, seed: 20261124 });
    const input: Uint8Array[] = [];
    for (const [bytes, controlLen] of cases) {
      const head = new Uint8Array(8);
      new DataView(head.buffer).setUint32(0, controlLen, true);
      new DataView(head.buffer).setUint32(4, bytes.length, true);
      input.push(head, bytes);
    }
    const stdin = Buffer.concat(input);
    writeFileSync(join(dir, "walk.in"), stdin);
    const lines = execFileSync(exe, { input: stdin, encoding: "utf8" }).split("\n");
    expect(lines.length).toBe(cases.length + 1);
    let walkedSomewhere = 0;
    cases.forEach(([bytes, controlLen], i) => {
      const ours = tsWalk(bytes, controlLen);
      expect(ours, `case ${i}`).toBe(lines[i]);
      if (ours.split(" ").length > 2) walkedSomewhere++;
    });
    // The sample must exercise multi-header walks, or the comparison proves little.
    expect(walkedSomewhere).toBeGreaterThan(20);
  });
});

it("the generated C names every table it proves", () => {
  const src = staticAssertsSource();
  for (const decl of S.WINDOWS_STRUCTS) expect(src).toContain(`sizeof(${decl.c})`);
  expect(readFileSync(join(dir, "checks.c"), "utf8")).toBe(src);
});
