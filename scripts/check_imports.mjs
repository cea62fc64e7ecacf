#!/usr/bin/env node
// The house rules (ARCHITECTURE.md, "Import rules"), checked over the import graph of every .ts/.mts/.js/.mjs file
// of the checkout (node_modules, dist and dot-folders left out), parsed with the TypeScript compiler so that comments
// and doc examples never count as imports.
//
//   node scripts/check_imports.mjs [root]
//
// Prints each violation as `file:line: [rule] what`, then `imports: N passed, N failed` (N failed = violations,
// N passed = checks that found none) and exits 1 when anything failed. `npm test` runs it (step "imports").
// checkImports() is exported for tests/pure/check_imports.test.ts, which feeds it small fake trees.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const ts = require("typescript");

/** Limits that keep rooms livable (the same measures as /work/shared/tools/structure.mjs). */
export const LIMITS = { fileLines: 600, classLines: 450, folderFiles: 15 };

/**
 * Which folder may import which: `from` is a path prefix of the importing file; `only` lists the prefixes it may
 * import (anything else in the tree is refused), `never` the prefixes it must not import.
 */
export const LAYERS = [
  {
    rule: "structs-alone",
    from: "structs/",
    only: ["structs/"],
    why: "C layouts are data over DataView: no runtime, no FFI, nothing above them",
  },
  {
    rule: "tables-data",
    from: "ffi/tables/",
    only: ["ffi/tables/", "structs/", "ffi/types.ts"],
    why: "native tables are data: they may name layouts and native types, nothing that runs",
  },
  {
    rule: "runtime-no-backend",
    from: "ffi/runtime/",
    never: ["ffi/posix/", "ffi/winsock/", "ffi/common/"],
    why: "runtime adapters know FFIs, never sockets",
  },
  {
    rule: "backends-apart",
    from: "ffi/posix/",
    never: ["ffi/winsock/"],
    why: "the two backends never import each other",
  },
  {
    rule: "backends-apart",
    from: "ffi/winsock/",
    never: ["ffi/posix/"],
    why: "the two backends never import each other",
  },
];

/**
 * Known, reasoned exceptions: `{ rule, file, target?, reason }` (target: the imported file, for import rules).
 * An entry that no longer matches anything is reported as stale (a warning, not a failure).
 */
export const ALLOW = [];

// Folders that are not shipped source: the size limits and the "only ffi/native.ts asks" rule skip them (as
// structure.mjs does). Cycles and layer rules still see every file.
const NOT_SOURCE = new Set(["tests", "bench", "scripts", "examples", "bin", "dist", "node_modules"]);
const SKIP_DIRS = new Set(["node_modules", "dist"]);
const CODE = /\.(ts|mts|js|mjs)$/;

/** Every code file under root, as a slash-separated path relative to root. */
function listFiles(root) {
  const out = [];
  (function walk(dir) {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || SKIP_DIRS.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (CODE.test(name) && !name.endsWith(".d.ts")) out.push(relative(root, path).split(sep).join("/"));
    }
  })(root);
  return out;
}

/** A source file as structure.mjs counts them: shipped code, not tests, configs or declarations. */
export function isSource(file) {
  return !NOT_SOURCE.has(file.split("/")[0]) && !/\.test\.|config\./.test(file.split("/").pop());
}

/** Resolves a relative specifier of `from` to a file of the tree (a `.js` name may stand for its `.ts`). */
function resolve(from, spec, known) {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return null;
  const parts = dirname(from).split("/").filter((p) => p !== ".");
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  const target = parts.join("/");
  if (known.has(target)) return target;
  const ts = target.replace(/\.m?js$/, (e) => e === ".mjs" ? ".mts" : ".ts");
  return known.has(ts) ? ts : null;
}

const str = (n) => n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : null;
const isImportMetaUrl = (n) =>
  n && ts.isPropertyAccessExpression(n) && n.name.text === "url" && ts.isMetaProperty(n.expression);

/** Specifiers a `new URL(x, import.meta.url)` may name: a literal, or each literal branch of a conditional. */
function urlSpecifiers(n) {
  if (str(n) !== null) return [str(n)];
  if (ts.isConditionalExpression(n)) return [...urlSpecifiers(n.whenTrue), ...urlSpecifiers(n.whenFalse)];
  if (ts.isParenthesizedExpression(n)) return urlSpecifiers(n.expression);
  return [];
}

const RUNTIME_GLOBALS = new Set(["Deno", "Bun", "process", "navigator"]);

/**
 * Whether a node asks which runtime (kind "runtime") or which OS (kind "os") the code runs on; null if it does not.
 * Using a runtime's API (Deno.dlopen) is not asking; testing for it is.
 */
function question(n, nativeNames) {
  // "Deno" in globalThis, "Bun" in globalThis, "process" in globalThis
  if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.InKeyword) {
    const name = str(n.left);
    if (name !== null && RUNTIME_GLOBALS.has(name)) return { kind: "runtime", text: `"${name}" in …` };
  }
  // typeof Deno, typeof globalThis.Bun
  if (ts.isTypeOfExpression(n)) {
    const e = n.expression;
    const name = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : null;
    if (name !== null && RUNTIME_GLOBALS.has(name)) return { kind: "runtime", text: `typeof ${name}` };
  }
  if (ts.isPropertyAccessExpression(n)) {
    const prop = n.name.text;
    const obj = n.expression;
    const objName = ts.isIdentifier(obj) ? obj.text : ts.isPropertyAccessExpression(obj) ? obj.name.text : null;
    if (prop === "versions" && objName === "process") return { kind: "runtime", text: "process.versions" };
    if (prop === "version" && (objName === "Deno" || objName === "Bun")) {
      return { kind: "runtime", text: `${objName}.version` };
    }
    if (prop === "userAgent" && objName === "navigator") return { kind: "runtime", text: "navigator.userAgent" };
    const isNative = ts.isIdentifier(obj) && nativeNames.has(obj.text);
    if (prop === "runtime" && isNative) return { kind: "runtime", text: `${obj.text}.runtime` };
    if (prop === "build" && objName === "Deno") return { kind: "os", text: "Deno.build" };
    if ((prop === "platform" || prop === "arch") && (objName === "process" || objName === "navigator")) {
      return { kind: "os", text: `${objName}.${prop}` };
    }
    if (prop === "os" && (isNative || objName === "build")) return { kind: "os", text: `${objName}.os` };
  }
  // const { os, runtime } = native
  if (ts.isVariableDeclaration(n) && ts.isObjectBindingPattern(n.name) && n.initializer) {
    if (ts.isIdentifier(n.initializer) && nativeNames.has(n.initializer.text)) {
      for (const el of n.name.elements) {
        const key = el.propertyName && ts.isIdentifier(el.propertyName)
          ? el.propertyName.text
          : ts.isIdentifier(el.name)
          ? el.name.text
          : null;
        if (key === "os" || key === "runtime") {
          return { kind: key === "os" ? "os" : "runtime", text: `{ ${key} } = native` };
        }
      }
    }
  }
  // import { platform } from "node:os"
  if (ts.isImportDeclaration(n) && /^(node:)?os$/.test(str(n.moduleSpecifier) ?? "")) {
    const names = n.importClause?.namedBindings;
    if (names && ts.isNamedImports(names)) {
      for (const el of names.elements) {
        const name = (el.propertyName ?? el.name).text;
        if (name === "platform" || name === "type" || name === "arch") {
          return { kind: "os", text: `${name} from node:os` };
        }
      }
    }
  }
  return null;
}

/** Parses one file: its imports (with line and kind), its runtime/OS questions, its classes' spans, its length. */
function parse(file, text, known) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (n) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const imports = [];
  const questions = [];
  const classes = [];
  // The local names of ffi/native.ts's `native` (imported under any name), whose `os` and `runtime` are questions.
  const nativeNames = new Set(["native"]);
  for (const st of sf.statements) {
    const names = ts.isImportDeclaration(st) && /(^|\/)native\.[jt]s$/.test(str(st.moduleSpecifier) ?? "")
      ? st.importClause?.namedBindings
      : undefined;
    if (names && ts.isNamedImports(names)) {
      for (const el of names.elements) {
        if ((el.propertyName ?? el.name).text === "native") nativeNames.add(el.name.text);
      }
    }
  }
  const add = (spec, node, kind) => {
    const target = resolve(file, spec, known);
    if (target !== null) imports.push({ target, line: lineOf(node), kind });
  };
  (function visit(n) {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && str(n.moduleSpecifier) !== null) {
      add(str(n.moduleSpecifier), n, "static");
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && str(n.arguments[0])) {
      add(str(n.arguments[0]), n, "dynamic");
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && str(n.argument.literal) !== null) {
      add(str(n.argument.literal), n, "static");
    } else if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "URL") {
      // A worker's entry file: new URL("./worker.ts", import.meta.url). Part of the layer (the worker runs the code)
      // but not of a cycle (it is loaded into another isolate, not imported).
      const [spec, base] = n.arguments ?? [];
      if (isImportMetaUrl(base)) { for (const s of urlSpecifiers(spec)) if (/\.(ts|mts)$/.test(s)) add(s, n, "url"); }
    }
    const q = question(n, nativeNames);
    if (q) questions.push({ ...q, line: lineOf(n) });
    if ((ts.isClassDeclaration(n) || ts.isClassExpression(n))) {
      const start = lineOf(n);
      const end = sf.getLineAndCharacterOfPosition(n.getEnd()).line + 1;
      classes.push({ name: n.name?.text ?? "(anonymous)", line: start, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  })(sf);
  const lines = text.length === 0 ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  return { imports, questions, classes, lines };
}

/** Import cycles: strongly connected components (Tarjan) of more than one file, or a file importing itself. */
function cycles(graph) {
  let index = 0;
  const stack = [], onStack = new Set(), ix = new Map(), low = new Map(), found = [];
  function connect(v) {
    ix.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!ix.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), ix.get(w)));
    }
    if (low.get(v) === ix.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v).includes(v)) found.push(scc.sort());
    }
  }
  for (const v of graph.keys()) if (!ix.has(v)) connect(v);
  return found;
}

const under = (file, prefix) => prefix.endsWith("/") ? file.startsWith(prefix) : file === prefix;
const asksNothing = (file) => file.startsWith("connection/") || file === "mod.ts";

/**
 * Checks the tree at root. Returns every check made and the violations found (after the allowlist), each
 * `{ rule, file, line, message }`, plus allowlist entries that matched nothing.
 *
 * @example
 * ```js
 * const { passed, violations } = checkImports(".");
 * for (const v of violations) console.log(formatViolation(v));
 * ```
 */
export function checkImports(root, { allow = ALLOW, limits = LIMITS } = {}) {
  const files = listFiles(root);
  const known = new Set(files);
  const parsed = new Map(files.map((f) => [f, parse(f, readFileSync(join(root, f), "utf8"), known)]));
  const violations = [];
  const used = new Set();
  let checks = 0, failed = 0;
  /** One check: its findings minus the allowed ones; it passes when none is left. */
  const check = (list) => {
    const left = list.filter((v) => {
      const i = allow.findIndex((a) =>
        a.rule === v.rule && a.file === v.file && (a.target === undefined || a.target === v.target)
      );
      if (i >= 0) used.add(i);
      return i < 0;
    });
    checks++;
    if (left.length > 0) failed++;
    const key = (v) => `${v.rule} ${v.file}:${v.line} ${v.message}`;
    const seen = new Set(violations.map(key));
    violations.push(...left.filter((v) => !seen.has(key(v)) && seen.add(key(v))));
  };

  for (const [file, p] of parsed) {
    // Layers.
    for (const layer of LAYERS) {
      if (!under(file, layer.from)) continue;
      check(
        p.imports.filter(({ target }) =>
          layer.only ? !layer.only.some((ok) => under(target, ok)) : layer.never.some((no) => under(target, no))
        ).map(({ target, line, kind }) => ({
          rule: layer.rule,
          file,
          line,
          target,
          message: `${kind === "url" ? "starts a worker from" : "imports"} ${target}: ${layer.why}`,
        })),
      );
    }
    // Who may ask which OS or runtime.
    if (asksNothing(file)) {
      check(p.questions.map((q) => ({
        rule: "connection-asks-nothing",
        file,
        line: q.line,
        message: `asks which ${q.kind === "os" ? "OS" : "runtime"} (${q.text}): the connection layer and mod.ts ` +
          "learn what they need from the backend's capabilities",
      })));
    } else if (isSource(file) && file !== "ffi/native.ts") {
      check(
        p.questions.filter((q) => q.kind === "runtime").map((q) => ({
          rule: "one-runtime-probe",
          file,
          line: q.line,
          message: `asks which runtime (${q.text}): only ffi/native.ts asks`,
        })),
      );
    }
    // Sizes.
    if (isSource(file)) {
      check(
        p.lines > limits.fileLines
          ? [{ rule: "file-size", file, line: 1, message: `${p.lines} lines (limit ${limits.fileLines})` }]
          : [],
      );
      check(
        p.classes.filter((c) => c.lines > limits.classLines).map((c) => ({
          rule: "class-size",
          file,
          line: c.line,
          message: `class ${c.name} is ${c.lines} lines (limit ${limits.classLines})`,
        })),
      );
    }
  }

  const perFolder = new Map();
  for (const f of files.filter(isSource)) {
    const d = f.includes("/") ? dirname(f) : ".";
    perFolder.set(d, (perFolder.get(d) ?? 0) + 1);
  }
  for (const [dir, n] of perFolder) {
    check(
      n > limits.folderFiles
        ? [{
          rule: "folder-size",
          file: `${dir}/`,
          line: 0,
          message: `${n} source files (limit ${limits.folderFiles})`,
        }]
        : [],
    );
  }

  // Cycles over module imports (worker URLs are not imports).
  const graph = new Map(
    [...parsed].map(([f, p]) => [f, [...new Set(p.imports.filter((i) => i.kind !== "url").map((i) => i.target))]]),
  );
  check(
    cycles(graph).map((scc) => {
      const inCycle = new Set(scc);
      const edge = parsed.get(scc[0]).imports.find((i) => i.kind !== "url" && inCycle.has(i.target));
      return {
        rule: "no-cycle",
        file: scc[0],
        line: edge?.line ?? 1,
        message: `import cycle: ${[...scc, scc[0]].join(" → ")}`,
      };
    }),
  );

  const stale = allow.filter((_, i) => !used.has(i));
  return { files: files.length, checks, passed: checks - failed, failed, violations, stale };
}

/** One violation as `file:line: [rule] message`. */
export function formatViolation(v) {
  return `${v.file}${v.line ? `:${v.line}` : ""}: [${v.rule}] ${v.message}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
  const result = checkImports(root);
  for (const v of result.violations) console.log(formatViolation(v));
  for (const a of result.stale) console.log(`warning: stale allowlist entry [${a.rule}] ${a.file}: ${a.reason}`);
  console.log(`imports: ${result.passed} passed, ${result.failed} failed`);
  process.exit(result.failed === 0 ? 0 : 1);
}
