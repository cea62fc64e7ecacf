// The Linux tables against glibc's headers, compiled by gcc: the proofs the Windows tables get from mingw.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { countChecks, linuxStaticAssertsSource } from "../c/checks.ts";

const dir = mkdtempSync(join(tmpdir(), "recvmsg-linux-c-"));

it("every Linux size, offset, constant, errno and CMSG_* value compiles as a static assertion under gcc", () => {
  const src = linuxStaticAssertsSource();
  expect(countChecks(src)).toBeGreaterThan(250);
  writeFileSync(join(dir, "linux.c"), src);
  execFileSync("gcc", ["-std=c11", "-Wall", "-Werror", "-c", join(dir, "linux.c"), "-o", join(dir, "linux.o")], {
    stdio: "pipe",
  });
});

it("a drifted Linux layout fails to compile (the check can fail)", () => {
  const src = linuxStaticAssertsSource().replace(
    "offsetof(struct in_pktinfo, ipi_addr.s_addr) == 8",
    "offsetof(struct in_pktinfo, ipi_addr.s_addr) == 0",
  );
  writeFileSync(join(dir, "drift.c"), src);
  expect(() =>
    execFileSync("gcc", ["-std=c11", "-c", join(dir, "drift.c"), "-o", join(dir, "drift.o")], { stdio: "pipe" })
  )
    .toThrow(/offsetof\(struct in_pktinfo, ipi_addr.s_addr\) is 8/);
});
