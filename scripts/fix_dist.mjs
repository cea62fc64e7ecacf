#!/usr/bin/env node
// After `tsc -p tsconfig.build.json`: declaration files keep the sources' `.ts` import specifiers, which
// a consumer's TypeScript does not map to the `.d.ts` files beside them, and the doc comments' examples
// in the .js files still name the .ts sources. Rewrite relative `.ts` specifiers in dist/**/*.d.ts and
// *.js to `.js` (TypeScript resolves those to the declarations; tsc already rewrote the real imports).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".d.ts") || p.endsWith(".js")) {
      const s = readFileSync(p, "utf8");
      const t = s.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
      if (t !== s) writeFileSync(p, t);
    }
  }
}
walk(new URL("../dist", import.meta.url).pathname);
