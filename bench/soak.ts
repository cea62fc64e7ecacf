// `npm run soak` runs this on each runtime: the soak of bench/soak_lib.ts; prints its figures as JSON
// and exits 1 on any loss, corruption, reordering or leak.   usage: soak.ts [COUNT] [CYCLES]
import process from "node:process";
import { runSoak } from "./soak_lib.ts";

const count = Number(process.argv[2] ?? 1_000_000);
const cycles = Number(process.argv[3] ?? 10_000);
// Then 300 sockets holding read-ahead arenas, closed: RSS must come back (see arenaPhase).
const r = await runSoak(count, cycles, 256, 300);
process.stdout.write(JSON.stringify(r) + "\n");
process.exit(r.failures.length === 0 ? 0 : 1);
