/**
 * The iterator behind `conn.messages()`: each `next()` is one receive, and when a datagram is already
 * at hand (queued, or read ahead) it resolves with it directly, without the extra promise and turns an
 * async generator would take per datagram. Ends when the socket closes; any other error rejects that
 * `next()` and ends the iteration, as a generator's would.
 *
 * @module
 */
import { SocketClosedError } from "../errors.ts";
import type { DatagramMessage, ReceiveOptions } from "../message.ts";

/** What the iterator needs of a connection. */
export interface MessageSource {
  tryReceiveMsg(options?: ReceiveOptions): DatagramMessage | null;
  receiveMsg(options?: ReceiveOptions): Promise<DatagramMessage>;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * `messages()`'s iterator.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" });
 * const it = conn.messages();
 * conn.close();
 * console.log(await it.next()); // { value: undefined, done: true }
 * ```
 */
export class MessageIterator implements AsyncIterableIterator<DatagramMessage, undefined> {
  readonly #source: MessageSource;
  readonly #options: ReceiveOptions | undefined;
  #done = false;
  /** An error found in the arguments: the first next() rejects with it. */
  #refused: { error: unknown } | null;
  readonly #yielded = (value: DatagramMessage): IteratorResult<DatagramMessage, undefined> => ({ value, done: false });
  readonly #failed = (e: unknown): Promise<IteratorResult<DatagramMessage, undefined>> => this.#end(e);

  constructor(source: MessageSource, options: ReceiveOptions | undefined, refused: unknown) {
    this.#source = source;
    this.#options = options;
    this.#refused = refused === undefined ? null : { error: refused };
  }

  next(): Promise<IteratorResult<DatagramMessage, undefined>> {
    if (this.#done) return Promise.resolve(DONE);
    if (this.#refused) return this.#end(this.#refused.error);
    const options = this.#options;
    if (options?.signal?.aborted) return this.#end(options.signal.reason);
    let m: DatagramMessage | null;
    try {
      m = this.#source.tryReceiveMsg(options);
    } catch (e) {
      return this.#end(e);
    }
    if (m !== null) return Promise.resolve({ value: m, done: false });
    return this.#source.receiveMsg(options).then(this.#yielded, this.#failed);
  }

  return(): Promise<IteratorResult<DatagramMessage, undefined>> {
    this.#done = true;
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The iteration is over: a closed socket ends it quietly, anything else rejects this call. */
  #end(e: unknown): Promise<IteratorResult<DatagramMessage, undefined>> {
    this.#done = true;
    this.#refused = null;
    return e instanceof SocketClosedError ? Promise.resolve(DONE) : Promise.reject(e);
  }
}
