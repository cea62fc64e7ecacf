import { defineConfig } from "vitest/config";

// Node runs only the pure tests (struct layer, C proofs); runtime tests run under Deno and Bun.
export default defineConfig({ test: { include: ["tests/pure/**/*.test.ts"], testTimeout: 60_000 } });
