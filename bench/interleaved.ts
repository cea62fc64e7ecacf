// Interleaved rounds for the JavaScript-cost benches (bench/js_path.ts, bench/js_replay.ts): every case once
// per round, the order reversed every other round, round 0 a warm-up not kept; then one line per case,
// "case wall-ns cpu-ns" per operation (medians over the rounds).
import process from "node:process";

/** A case: runs `perCase` operations (sync or async). */
export type Case = () => Promise<void> | void;

/**
 * Runs `cases` for `rounds` kept rounds (plus the warm-up) and prints each case's median wall and CPU time
 * per operation, `perCase` operations a run.
 *
 * @example
 * ```ts ignore
 * await runInterleaved({ "a loop": () => { for (let i = 0; i < 1000; i++); } }, 3, 1000);
 * ```
 */
export async function runInterleaved(cases: Record<string, Case>, rounds: number, perCase: number): Promise<void> {
  const names = Object.keys(cases);
  const results = new Map<string, number[][]>(names.map((n) => [n, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await cases[name]();
      const wall = (performance.now() - t0) * 1e6 / perCase;
      const c = process.cpuUsage(c0);
      if (round > 0) results.get(name)!.push([wall, (c.user + c.system) * 1e3 / perCase]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, xs] of results) {
    console.log(
      `${name.padEnd(28)} ${median(xs.map((x) => x[0])).toFixed(0)} ${median(xs.map((x) => x[1])).toFixed(0)}`,
    );
  }
}
