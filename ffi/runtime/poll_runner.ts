/**
 * The main-thread side of Bun's waiting worker (bun:ffi has no call that runs off the JS thread): one
 * wait at a time is handed to the worker as the event queue, the address of the events array and its
 * length, and the worker answers with epoll_wait's (kevent's) result; on Windows, the completion port,
 * its entries, their count's address and a time-out, and the worker answers with the count removed
 * (ffi/runtime/win_completion.ts). The worker is referenced only
 * while a wait runs, so an idle process can exit. The adapter makes the worker; this holds the
 * protocol and what happens when the worker fails: the running wait is rejected, the worker is
 * dropped, and the next wait starts a new one.
 *
 * @module
 */

/** What a worker offers, reduced to what the protocol needs. */
export interface PollWorker {
  postMessage(m: unknown): void;
  ref(): void;
  unref(): void;
  terminate(): unknown;
}

/**
 * Runs one wait at a time in a worker made by `start`; `answer` and `fail` are called by the adapter
 * with what the worker posts or the error it reports.
 *
 * @example
 * ```ts ignore
 * const runner = new PollRunner(() => {
 *   const worker = new Worker(url);
 *   worker.onmessage = (e) => runner.answer(e.data);
 *   worker.onerror = (e) => runner.fail(e);
 *   return worker;
 * });
 * const result = await runner.wait([queue, address, max]);
 * ```
 */
export class PollRunner {
  readonly #start: () => PollWorker;
  #worker: PollWorker | null = null;
  #resolve: ((result: number) => void) | null = null;
  #reject: ((error: Error) => void) | null = null;

  /** `start` makes the worker (unreferenced by the runner until a wait runs). */
  constructor(start: () => PollWorker) {
    this.#start = start;
  }

  /** The worker's answer to the running wait. */
  answer(result: number): void {
    const resolve = this.#resolve;
    this.#resolve = this.#reject = null;
    this.#worker?.unref();
    resolve?.(result);
  }

  /** The worker failed (did not start, or died): the running wait is rejected and the next one starts a new worker. */
  fail(cause: unknown): void {
    const reject = this.#reject;
    this.#resolve = this.#reject = null;
    const worker = this.#worker;
    this.#worker = null;
    try {
      worker?.terminate();
    } catch { /* already gone */ }
    reject?.(new Error(`recvmsg: the waiting thread failed: ${(cause as Error)?.message ?? cause}`, { cause }));
  }

  /** Whether the running wait keeps the process alive (each wait starts so). */
  hold(on: boolean): void {
    if (!this.#resolve) return;
    if (on) this.#worker?.ref();
    else this.#worker?.unref();
  }

  /** Posts one wait (memory that does not move and is not touched until the answer). */
  wait(message: unknown): Promise<number> {
    if (this.#resolve) return Promise.reject(new Error("recvmsg: internal: a second wait while one runs"));
    return new Promise((resolve, reject) => {
      let worker = this.#worker;
      if (!worker) {
        try {
          worker = this.#worker = this.#start();
        } catch (e) {
          reject(new Error(`recvmsg: the waiting thread could not start: ${(e as Error)?.message ?? e}`, { cause: e }));
          return;
        }
      }
      this.#resolve = resolve;
      this.#reject = reject;
      worker.ref();
      worker.postMessage(message);
    });
  }
}

/**
 * Where a worker file is: beside the adapter (a checkout, JSR, the npm package), or, in bundled code
 * (bun build, bun build --compile, esbuild), where the bundler put it when it was given as a second
 * entry point from the project's root (`node_modules/recvmsg/dist/ffi/runtime/NAME`, relative to the
 * bundle). Otherwise it throws a sentence saying so: a Worker made from a missing file would wait
 * forever (Bun) or crash the process (Node).
 *
 * @example
 * ```ts ignore
 * const url = findWorker("bun_poller", import.meta.url, fs.existsSync);
 * ```
 */
export function findWorker(name: string, base: string, exists: (url: URL) => boolean): URL {
  const file = `${name}${base.endsWith(".ts") ? ".ts" : ".js"}`;
  const beside = new URL(`./${file}`, base);
  if (exists(beside)) return beside;
  const bundled = new URL(`./node_modules/recvmsg/dist/ffi/runtime/${name}.js`, base);
  if (exists(bundled)) return bundled;
  throw new Error(
    `recvmsg: a receive must wait, and the worker that waits (${file}) is neither at ${beside.href} nor at ` +
      `${bundled.href}: bundled code leaves it behind. Keep recvmsg out of the bundle (bun build --external ` +
      `recvmsg, esbuild --packages=external), or give node_modules/recvmsg/dist/ffi/runtime/${name}.js to the ` +
      `bundler as a second entry point, from the project's root (bun build app.js ` +
      `node_modules/recvmsg/dist/ffi/runtime/${name}.js --outdir out; the same with --compile or with esbuild).`,
  );
}
