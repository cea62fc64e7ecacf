#!/usr/bin/env node
// After `tsc -p tsconfig.build.json`, two rewrites of dist/**/*.d.ts and *.js:
// - declaration files keep the sources' `.ts` import specifiers, which a consumer's TypeScript does not map
//   to the `.d.ts` files beside them, and the doc comments' examples in the .js files still name the .ts
//   sources: relative `.ts` specifiers become `.js` (TypeScript resolves those to the declarations; tsc
//   already rewrote the real imports);
// - the doc comments' examples import the JSR name (`@recvmsg/recvmsg`, `@recvmsg/recvmsg/structs`, ...),
//   which an npm user cannot import: in the npm package they name the npm package (`recvmsg`, ...).
// Then it checks that no @internal member reached the declarations (tsconfig.build.json strips them) and
// that no JSR name is left, and exits non-zero if one is.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const problems = [];
// Classes users get from the package's entry points, made only by the package itself.
const PUBLIC_CLASSES = ["DatagramConn", "ReceivedMessage", "MulticastMembership"];
// Of those, the ones whose (internal) constructor users must not call.
const MADE_INSIDE = ["DatagramConn", "MulticastMembership"];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".d.ts") || p.endsWith(".js")) {
      const s = readFileSync(p, "utf8");
      let t = s
        .replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3")
        .replace(/(["'])(?:jsr:)?@recvmsg\/recvmsg((?:\/[a-z_]+)*)\1/g, "$1recvmsg$2$1");
      // Their constructors are @internal (stripped): say so in the type, or `new DatagramConn()` would type-check.
      if (p.endsWith(".d.ts")) {
        t = t.replace(
          /(export declare class (\w+)[^{]*\{\n(\s+#private;\n)?)/g,
          (all, head, name) => MADE_INSIDE.includes(name) ? `${head}    private constructor();\n` : all,
        );
      }
      if (t !== s) writeFileSync(p, t);
      if (/["'](jsr:)?@recvmsg\/recvmsg/.test(t)) problems.push(`${p}: an import still names @recvmsg/recvmsg`);
      // The public classes: their internal constructors and methods must not be in the declarations.
      for (const [, name, body] of t.matchAll(/export declare class (\w+)[^{]*\{([^]*?)\n\}/g)) {
        if (!PUBLIC_CLASSES.includes(name)) continue;
        const leak = body.match(/@internal|^\s+(constructor|_\w+)\(.+$/m);
        if (leak) problems.push(`${p}: class ${name} declares an internal member: ${leak[0].trim()}`);
      }
    }
  }
}
walk(new URL("../dist", import.meta.url).pathname);
for (const p of problems) console.error(`fix_dist: ${p}`);
process.exit(problems.length ? 1 : 0);
