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
