// scripts/check_imports.mjs over small trees written to a temporary folder: a clean house passes, and each rule it
// enforces fails on a tree that breaks it, naming the file and line.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
// @ts-ignore -- a plain .mjs script without declarations
import { checkImports, formatViolation } from "../../scripts/check_imports.mjs";

interface Violation {
  rule: string;
  file: string;
  line: number;
  message: string;
}
interface Result {
  checks: number;
  passed: number;
  failed: number;
  violations: Violation[];
  stale: unknown[];
}

const script = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "scripts", "check_imports.mjs");
const made: string[] = [];

/** Writes files (path → text) into a fresh temporary root. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "recvmsg-imports-"));
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const clean: Record<string, string> = {
  "structs/layout.ts": "export const A = 1;\n",
  "structs/linux.ts": 'import { A } from "./layout.ts";\nexport const B = A;\n',
  "ffi/types.ts": "export type T = number;\n",
  "ffi/native.ts": 'export const isDeno = "Deno" in globalThis;\n',
  "ffi/tables/libc.ts": 'import type { T } from "../types.ts";\nimport { B } from "../../structs/linux.ts";\n' +
    "export const t: T = B;\n",
  "ffi/runtime/deno.ts": 'import { t } from "../tables/libc.ts";\nexport const r = t;\n',
  "ffi/common/backend.ts": 'import { native } from "../native.ts";\nexport const c = native;\n',
  "ffi/posix/posix.ts": 'import { c } from "../common/backend.ts";\nexport const p = c;\n',
  "ffi/winsock/winsock.ts": 'import { c } from "../common/backend.ts";\nexport const w = c;\n',
  "connection/conn.ts": 'import { p } from "../ffi/posix/posix.ts";\n' +
    '// native.os in a comment is no question: "Deno" in globalThis\nexport const conn = p;\n',
  "mod.ts": 'export { conn } from "./connection/conn.ts";\n',
  "tests/runtime/x.test.ts": 'if ("Deno" in globalThis) console.log(1);\n',
};

function check(files: Record<string, string>, options?: object): Result {
  return checkImports(tree(files), options) as Result;
}
const rules = (r: Result) => r.violations.map((v) => `${v.rule} ${v.file}:${v.line}`);

afterEach(() => {
  for (const root of made.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("check_imports", () => {
  it("passes a tree that keeps every rule (comments and tests do not count)", () => {
    const r = check(clean);
    expect(r.violations).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.passed).toBe(r.checks);
    expect(r.checks).toBeGreaterThan(10);
  });

  it("finds an import cycle and names where it starts", () => {
    const r = check({
      ...clean,
      "ffi/common/backend.ts": 'import { p } from "../posix/posix.ts";\nexport const c = p;\n',
    });
    expect(rules(r)).toEqual(["no-cycle ffi/common/backend.ts:1"]);
    expect(r.violations[0].message).toContain("ffi/common/backend.ts → ffi/posix/posix.ts → ffi/common/backend.ts");
  });

  it("finds a cycle through a type-only import and an export-from", () => {
    const r = check({
      ...clean,
      "structs/layout.ts": 'export type { B } from "./linux.ts";\nexport const A = 1;\n',
    });
    expect(rules(r)).toEqual(["no-cycle structs/layout.ts:1"]);
  });

  it("refuses the imports each layer must not make", () => {
    const r = check({
      ...clean,
      "structs/linux.ts": 'import { A } from "./layout.ts";\nimport type { T } from "../ffi/types.ts";\n' +
        "export const B: T = A;\n",
      "ffi/tables/libc.ts": 'import { native } from "../native.ts";\nexport const t = native;\n',
      "ffi/runtime/deno.ts": 'export const r = 1;\nconst u = await import("../posix/posix.ts");\nexport { u };\n',
      "ffi/winsock/winsock.ts": 'import { p } from "../posix/posix.ts";\nexport const w = p;\n',
    });
    expect(rules(r).sort()).toEqual([
      "backends-apart ffi/winsock/winsock.ts:1",
      "runtime-no-backend ffi/runtime/deno.ts:2",
      "structs-alone structs/linux.ts:2",
      "tables-data ffi/tables/libc.ts:1",
    ]);
  });

  it("counts a worker started by URL as part of the layer", () => {
    const r = check({
      ...clean,
      "ffi/runtime/bun.ts": 'export const u = new URL(import.meta.url.endsWith(".ts") ? "../posix/posix.ts" : ' +
        '"../posix/posix.js", import.meta.url);\n',
    });
    expect(rules(r)).toEqual(["runtime-no-backend ffi/runtime/bun.ts:1"]);
  });

  it("refuses OS and runtime questions in the connection layer and runtime probes outside ffi/native.ts", () => {
    const r = check({
      ...clean,
      "connection/conn.ts": 'import { native } from "../ffi/native.ts";\nexport const w = native.os === "windows";\n',
      "mod.ts": 'export { w } from "./connection/conn.ts";\nexport const d = typeof Deno;\n' +
        "export const p = process.platform;\n",
      "ffi/common/backend.ts": "export const n = process.versions.node;\n",
      "connection/multicast.ts": 'import { native as n } from "../ffi/native.ts";\nexport const { os } = n;\n' +
        "export const r = n.runtime;\n",
      "ffi/posix/posix.ts": 'export const linux = Deno.build.os === "linux";\n',
    });
    expect(rules(r).sort()).toEqual([
      "connection-asks-nothing connection/conn.ts:2",
      "connection-asks-nothing connection/multicast.ts:2",
      "connection-asks-nothing connection/multicast.ts:3",
      "connection-asks-nothing mod.ts:2",
      "connection-asks-nothing mod.ts:3",
      "one-runtime-probe ffi/common/backend.ts:1",
    ]);
  });

  it("measures files, classes and folders", () => {
    const body = Array.from({ length: 460 }, (_, i) => `  m${i}() {}`).join("\n");
    const folder = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`structs/s${i}.ts`, "export {};\n"]));
    const r = check({
      ...clean,
      ...folder,
      "ffi/common/big.ts": "export const x = 1;\n".repeat(601),
      "ffi/common/klass.ts": `export class Big {\n${body}\n}\n`,
      "tests/runtime/long.test.ts": "export const x = 1;\n".repeat(700),
    });
    expect(rules(r).sort()).toEqual([
      "class-size ffi/common/klass.ts:1",
      "file-size ffi/common/big.ts:1",
      "folder-size structs/:0",
    ]);
  });

  it("lets an allowlist entry with a reason through, and reports entries that match nothing", () => {
    const broken = {
      ...clean,
      "ffi/winsock/winsock.ts": 'import { p } from "../posix/posix.ts";\nexport const w = p;\n',
    };
    const allow = [
      { rule: "backends-apart", file: "ffi/winsock/winsock.ts", target: "ffi/posix/posix.ts", reason: "test" },
      { rule: "no-cycle", file: "nowhere.ts", reason: "stale" },
    ];
    const r = check(broken, { allow });
    expect(r.violations).toEqual([]);
    expect(r.stale).toEqual([allow[1]]);
  });

  it("as a script: prints file:line and the summary, exits 1 on a violation and 0 on a clean tree", () => {
    const bad = spawnSync(process.execPath, [script, tree({ ...clean, "structs/linux.ts": 'import "../mod.ts";\n' })], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain("structs/linux.ts:1: [structs-alone] imports mod.ts");
    expect(bad.stdout).toMatch(/^imports: \d+ passed, 1 failed$/m);
    const good = spawnSync(process.execPath, [script, tree(clean)], { encoding: "utf8" });
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^imports: \d+ passed, 0 failed$/m);
    expect(formatViolation({ rule: "r", file: "a.ts", line: 3, message: "m" })).toBe("a.ts:3: [r] m");
  });
});
