// The workers method of scripts/bench.mjs: the echo past one core. N workers (examples/workers_echo.ts:
// Deno and Bun Workers, Node worker_threads) answer on one port, one reusePort socket each, against a C
// echo with N SO_REUSEPORT threads (bench/c/echo_threads_linux.c), for each N; the client
// (bench/c/echo_client_flows.c) sends from many ports, since the kernel spreads flows, not datagrams.
// Kept apart so that scripts/bench.mjs stays one readable file.
import { cpus } from "node:os";
import { join } from "node:path";

/** The worker counts of the run: BENCH_WORKERS=1,2,4 (0: none); by default 1, 2, 4, … up to half the cores. */
export const WORKER_COUNTS = process.env.BENCH_WORKERS === "0"
  ? []
  : process.env.BENCH_WORKERS
  ? process.env.BENCH_WORKERS.split(",").map(Number)
  : [1, 2, ...[4, 8, 16, 32, 64].filter((n) => n <= cpus().length / 2)];
/** Client ports: enough that the hash gives every socket a share, few enough that the client's calls stay cheap. */
export const FLOWS = Number(process.env.BENCH_FLOWS ?? Math.max(16, 4 * Math.max(...WORKER_COUNTS, 1)));
/** Client threads against n workers: BENCH_CLIENT_THREADS, else half as many as the workers, at least 1. */
export const clientThreads = (n) =>
  Math.min(FLOWS, Number(process.env.BENCH_CLIENT_THREADS ?? Math.max(1, Math.floor(n / 2))));

/**
 * The cases, each with `workers` (N) and `runtime`; the C one of each N is its `baseline`. With N = 1, each
 * runtime's single-socket echo on its main thread (bench/echo_server.ts idiomatic) too: what a worker costs.
 */
export function workersCases({ dir, deno, bun, node }) {
  const server = "bench/workers_echo.ts";
  const onMain = "bench/echo_server.ts";
  return WORKER_COUNTS.flatMap((n) => [
    {
      group: "Linux",
      workers: n,
      name: `C echo, ${n} SO_REUSEPORT thread${n > 1 ? "s" : ""}, recvmmsg + sendmmsg`,
      run: () => [join(dir, "echo_threads_linux"), [n]],
      baseline: true,
    },
    ...["Deno", "Bun", "Node"].map((rt) => ({
      group: "Linux",
      workers: n,
      runtime: rt,
      name: `${rt}: ${n} worker${n > 1 ? "s" : ""}, messages() + await sendMsg`,
      run: () =>
        rt === "Deno"
          ? [deno, ["run", "-A", server, n]]
          : rt === "Node"
          ? [node, ["--disable-warning=ExperimentalWarning", server, n]]
          : [bun, [server, n]],
    })),
    ...(n !== 1 ? [] : ["Deno", "Bun", "Node"].map((rt) => ({
      group: "Linux",
      workers: 1,
      runtime: rt,
      mainThread: true,
      name: `${rt}: no worker, the same loop on the main thread`,
      run: () =>
        rt === "Deno"
          ? [deno, ["run", "-A", onMain, "idiomatic"]]
          : rt === "Node"
          ? [node, ["--disable-warning=ExperimentalWarning", onMain, "idiomatic"]]
          : [bun, [onMain, "idiomatic"]],
    }))),
  ]);
}

/** The client's command for a case against `port`. */
export const workersClient = (dir, echo, size, c) => (port) => [
  join(dir, "echo_client_flows"),
  [port, size, echo.warm, echo.window, echo.outstanding, FLOWS, clientThreads(c.workers)],
];

/** The RESULTS.md section; `at`, `range` and `ratio` are scripts/bench.mjs's. */
export function workersSection({ cases, echo, size, runs, at, range, ratio, fmt }) {
  /** The same server with the run's first worker count: how far more workers took it. */
  const alone = (c) =>
    cases.find((d) =>
      d.workers === WORKER_COUNTS[0] && d.runtime === c.runtime && !!d.baseline === !!c.baseline && !d.mainThread
    );
  const cRef = (c) => cases.find((d) => d.baseline && d.workers === c.workers);
  return [
    "## Past one core: echo across workers",
    "",
    "N workers (threads) answer on one port, each with its own socket (`reusePort: true`; examples/workers_echo.ts: Deno and Bun",
    "`Worker`, Node `worker_threads`; each the idiomatic `messages()` + `await sendMsg` loop, answering from the arrival address),",
    "against a C echo with N threads, each its own SO_REUSEPORT socket (`recvmmsg` + `sendmmsg`, IP_PKTINFO source). The kernel",
    "spreads flows, not datagrams, over the sockets by a hash of addresses and ports, so the C client (bench/c/echo_client_flows.c)",
    `sends from ${FLOWS} ports, ${echo.outstanding} requests of ${size} bytes in flight in all, on ${
      WORKER_COUNTS.map((n) => clientThreads(n)).join("/")
    } thread(s) for ${WORKER_COUNTS.join("/")} workers;`,
    `answers counted for ${
      echo.window / 1000
    } s after a ${echo.warm} ms warm-up. Server and client threads share the ${cpus().length} cores: where they`,
    "outnumber the cores, more workers cannot add answers, and the figure shows what sharing costs, not how far it scales.",
    'The "0 (main)" rows run the same loop on the main thread without a worker (bench/echo_server.ts); their last column',
    "compares them with one worker: what running in a worker costs.",
    `Median of ${runs} rounds, min–max in thousands per second; ratios round by round.`,
    "",
    `| server | workers | answers/s (median) | min–max | × C with as many threads | × itself with ${
      WORKER_COUNTS[0]
    } |`,
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...cases.map((c) =>
      `| ${c.name} | ${c.mainThread ? "0 (main)" : c.workers} | ${fmt(at("workers", c))} | ${range("workers", c)} | ${
        ratio("workers", c, cRef(c))
      } | ${ratio("workers", c, alone(c))} |`
    ),
    "",
  ];
}
