/**
 * The main-thread side of a poller worker (Bun's and Node's FFIs have no call that runs off the JS
 * thread): one poll at a time is handed to the worker as an address and a length, and the worker
 * answers with poll's result. The worker is referenced only while a poll runs, so an idle process can
 * exit. Each adapter makes the worker (its runtime's Worker class and FFI); this holds the protocol.
 *
 * @module
 */

/** What both runtimes' workers offer, reduced to what the protocol needs. */
export interface PollWorker {
  postMessage(m: unknown): void;
  ref(): void;
  unref(): void;
}

/**
 * Runs one poll at a time in `worker`; `answer` is to be called with each result the worker posts.
 *
 * @example
 * ```ts ignore
 * const runner = new PollRunner(worker);
 * worker.onmessage = (e) => runner.answer(e.data);
 * const result = await runner.poll(address, n);
 * ```
 */
export class PollRunner {
  readonly #worker: PollWorker;
  #resolve: ((result: number) => void) | null = null;

  /** Drives `worker`, which starts unreferenced. */
  constructor(worker: PollWorker) {
    this.#worker = worker;
    worker.unref();
  }

  /** The worker's answer to the running poll. */
  answer(result: number): void {
    const resolve = this.#resolve;
    this.#resolve = null;
    this.#worker.unref();
    resolve?.(result);
  }

  /** Posts one poll request (the pollfd array's address and length: memory that does not move and is not touched until the answer). */
  poll(message: unknown): Promise<number> {
    if (this.#resolve) return Promise.reject(new Error("recvmsg: internal: a second poll while one runs"));
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#worker.ref();
      this.#worker.postMessage(message);
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
 * const url = findWorker("node_poller", import.meta.url, fs.existsSync);
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
