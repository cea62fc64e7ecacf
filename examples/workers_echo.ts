// An echo server past one core: N workers (threads), each with its own socket bound to the same port
// with `reusePort: true`. Linux (3.9 and later) spreads the clients over the sockets by a hash of each
// flow's addresses and ports, so one client's datagrams all reach the same worker, and every worker
// answers each datagram from the address it arrived at, as a multi-homed server must.
// The same file is the program and the worker: Deno and Bun start it as a web `Worker`, Node with
// `node:worker_threads`. Elsewhere the sockets still share the port but the load is not spread: on macOS
// and the other BSDs SO_REUSEPORT hands a unicast datagram to one of the sockets (the last bound) rather
// than balancing, and Windows has no SO_REUSEPORT (reusePort means SO_REUSEADDR there). So this pattern
// scales on Linux; elsewhere one worker answers and the others wait.
//
//   deno run -A examples/workers_echo.ts [port] [workers]      (workers: the number of CPUs by default)
//   bun examples/workers_echo.ts [port] [workers]              node examples/workers_echo.ts [port] [workers]
import { readlinkSync } from "node:fs";
import { cpus } from "node:os";
import process from "node:process";
import * as threads from "node:worker_threads";
import { listenDatagram } from "../mod.ts";

/** How to start the workers. */
export interface EchoWorkersOptions {
  /** The address every worker binds (default `"::"`, dual-stack). */
  hostname?: string;
  /** The port they share (default 0: the first worker's socket picks one, the others join it). */
  port?: number;
  /** How many workers (default: the number of CPUs). */
  workers?: number;
  /** Each socket's receive buffer in bytes (default: the system's). */
  receiveBufferSize?: number;
}

/** Workers answering on one port; `stop` closes every socket and ends every worker. */
export interface EchoWorkers {
  /** The port they share. */
  readonly port: number;
  /** How many workers answer. */
  readonly workers: number;
  /** Closes each worker's socket, waits for its count, ends it; resolves with the counts, one per worker. */
  stop(): Promise<number[]>;
}

/** What the program says to a worker, and what a worker says back. */
type ToWorker = { listen: { hostname: string; port: number; receiveBufferSize?: number } } | { stop: true };
type FromWorker = { up: true } | { ready: number } | { answered: number } | { error: string };

/** A started worker as this file needs it, whatever the runtime's Worker class. */
interface Thread {
  post(m: ToWorker): void;
  /** The next message from the worker (an uncaught error in it rejects). */
  next(): Promise<FromWorker>;
  end(): Promise<void>;
}

/**
 * Starts `workers` echo workers on one port and resolves once every one of them is listening.
 *
 * @example
 * ```ts
 * import { startEchoWorkers } from "./workers_echo.ts";
 * const server = await startEchoWorkers({ hostname: "0.0.0.0", port: 7007 });
 * console.log(`${server.workers} workers on port ${server.port}`);
 * // ... later:
 * console.log("answered per worker:", await server.stop());
 * ```
 */
export async function startEchoWorkers(options: EchoWorkersOptions = {}): Promise<EchoWorkers> {
  const count = options.workers ?? cpus().length;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`startEchoWorkers: workers must be a positive integer, got ${count}`);
  }
  const hostname = options.hostname ?? "::";
  let port = options.port ?? 0;
  const started: Thread[] = [];
  try {
    // One at a time: the first binds (port 0 picks a free port), the others join the port it got.
    for (let i = 0; i < count; i++) {
      const t = spawn();
      started.push(t);
      // Bun drops what is posted before the worker listens: wait for its word that it does.
      const up = await t.next();
      if (!("up" in up)) throw new Error(`echo worker ${i} did not start`);
      t.post({ listen: { hostname, port, receiveBufferSize: options.receiveBufferSize } });
      const m = await t.next();
      if (!("ready" in m)) throw new Error(`echo worker ${i}: ${"error" in m ? m.error : "did not start"}`);
      port = m.ready;
    }
  } catch (e) {
    await stopAll(started);
    throw e;
  }
  return { port, workers: count, stop: () => stopAll(started) };
}

/** Asks every worker to close its socket, collects the counts, then ends the threads. */
async function stopAll(started: Thread[]): Promise<number[]> {
  for (const t of started) t.post({ stop: true });
  const counts = await Promise.all(started.map(async (t) => {
    const m = await t.next().catch(() => ({ answered: NaN }));
    return "answered" in m ? m.answered : NaN;
  }));
  // Each socket is closed by now (the worker said so): ending the thread cannot leave the port bound.
  await Promise.all(started.map((t) => t.end()));
  return counts;
}

/** Starts this file as a worker, with the runtime's own Worker class. */
function spawn(): Thread {
  const url = new URL(import.meta.url);
  const queue: FromWorker[] = [];
  const waiting: { resolve(m: FromWorker): void; reject(e: unknown): void }[] = [];
  let failure: unknown;
  const deliver = (m: FromWorker) => {
    const w = waiting.shift();
    if (w) w.resolve(m);
    else queue.push(m);
  };
  const fail = (e: unknown) => {
    failure = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  const next = () =>
    queue.length > 0
      ? Promise.resolve(queue.shift()!)
      : failure !== undefined
      ? Promise.reject(failure)
      : new Promise<FromWorker>((resolve, reject) => waiting.push({ resolve, reject }));
  const g = globalThis as unknown as { Deno?: unknown; Bun?: unknown; Worker?: WebWorkerClass };
  if ((g.Deno || g.Bun) && g.Worker) {
    // Deno and Bun: a web Worker (Deno's needs `type: "module"`; it inherits the program's permissions).
    const w = new g.Worker(url, { type: "module" });
    w.onmessage = (e) => deliver(e.data as FromWorker);
    w.onerror = (e) => {
      e.preventDefault?.();
      fail(new Error(`echo worker failed: ${e.message}`));
    };
    return {
      post: (m) => w.postMessage(m),
      next,
      end: () => Promise.resolve(w.terminate()),
    };
  }
  // Node: node:worker_threads runs the .ts file with its type stripping, like the program itself.
  const w = new threads.Worker(url);
  w.on("message", (m: FromWorker) => deliver(m));
  w.on("error", (e: Error) => fail(e));
  let exited = false;
  const onExit: (() => void)[] = [];
  w.on("exit", (code: number) => {
    exited = true;
    for (const f of onExit.splice(0)) f();
    fail(new Error(`echo worker exited with code ${code}`));
  });
  return {
    post: (m) => w.postMessage(m),
    next,
    // A stopped worker ends by itself (its socket closed, its port to us closed): wait for that, and
    // terminate() only one that has not ended within 10 s.
    end: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const timer = setTimeout(() => void w.terminate(), 10_000);
        onExit.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

interface WebWorkerClass {
  new (url: URL, options: { type: "module" }): {
    postMessage(m: unknown): void;
    onmessage: ((e: { data: unknown }) => void) | null;
    onerror: ((e: { message: string; preventDefault?(): void }) => void) | null;
    terminate(): void;
  };
}

/** Whether this code runs in a worker: node:worker_threads knows on Node and Bun, the global scope on Deno. */
function inWorker(): boolean {
  const g = globalThis as unknown as { WorkerGlobalScope?: new () => unknown };
  return !threads.isMainThread ||
    (typeof g.WorkerGlobalScope === "function" && globalThis instanceof g.WorkerGlobalScope);
}

/** What the descriptor `fd` refers to (Linux: "socket:[inode]"), or null where /proc cannot say. */
function describe(fd: bigint): { fd: bigint; link: string } | null {
  try {
    return { fd, link: readlinkSync(`/proc/self/fd/${fd}`) };
  } catch {
    return null;
  }
}

/**
 * Resolves once the descriptor no longer refers to the socket (bounded: 10 s). close() returns at once,
 * but while this thread waits for readiness the descriptor may be closed only when that wait has
 * returned, which comes through the event loop; a thread ended before then would keep the socket, and
 * the port, for the life of the process. Where /proc is missing it gives the event loop a short while.
 */
async function released(socket: { fd: bigint; link: string } | null): Promise<void> {
  const pause = () => new Promise((r) => setTimeout(r, 5));
  if (socket === null) return void await pause();
  for (let i = 0; i < 2000 && describe(socket.fd)?.link === socket.link; i++) await pause();
}

/** The worker's side: listen when told, echo until told to stop, report the count. */
function runWorker(): void {
  const self = globalThis as unknown as {
    postMessage(m: FromWorker): void;
    onmessage: ((e: { data: ToWorker }) => void) | null;
  };
  const parent = threads.parentPort;
  const post = (m: FromWorker) => parent ? parent.postMessage(m) : self.postMessage(m);
  let conn: ReturnType<typeof listenDatagram> | undefined;
  /** The last word: the count. On Node the thread then ends by itself once nothing is left to do. */
  const finish = (answered: number) => {
    post({ answered });
    if (parent && !("Bun" in globalThis)) parent.close();
  };
  const onMessage = async (m: ToWorker) => {
    if ("stop" in m) {
      if (conn) conn.close(); // the loop below ends and reports
      else finish(0);
      return;
    }
    try {
      // reusePort: every worker's socket joins the same port, and the kernel spreads flows over them.
      conn = listenDatagram({ ...m.listen, reusePort: true });
    } catch (e) {
      post({ error: String(e) });
      return;
    }
    post({ ready: conn.addr.port });
    const socket = describe(conn.rawHandle);
    let answered = 0;
    try {
      for await (const msg of conn.messages()) {
        try {
          // From the address the request arrived at: on a host with several addresses, the one the client asked.
          await conn.sendMsg(msg.data, msg.remoteAddr, { localAddr: msg.localAddr ?? undefined });
          answered++;
        } catch (e) {
          // A reply that cannot go (a request from source port 0, one sent to a broadcast address: anyone
          // can send those) is reported; one datagram from anyone must never stop a worker.
          console.error(`echo to ${msg.remoteAddr.hostname} port ${msg.remoteAddr.port} failed: ${e}`);
        }
      }
    } finally {
      await released(socket);
      finish(answered);
    }
  };
  if (parent) parent.on("message", onMessage);
  else self.onmessage = (e) => void onMessage(e.data);
  post({ up: true });
}

if (inWorker()) {
  runWorker();
} else if ((import.meta as unknown as { main?: boolean }).main) {
  const args = process.argv.slice(2);
  const server = await startEchoWorkers({
    port: Number(args[0] ?? 7007),
    workers: args[1] === undefined ? undefined : Number(args[1]),
  });
  console.log(`echo on [::]:${server.port} in ${server.workers} workers (one socket each, reusePort); Ctrl-C stops`);
  process.once("SIGINT", async () => {
    console.log("answered per worker:", (await server.stop()).join(" "));
    process.exit(0);
  });
}
