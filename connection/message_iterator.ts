/**
 * The iterator behind `conn.messages()`: each `next()` is one receive, and when a datagram is already
 * at hand (queued, or read ahead) it resolves with it directly, without the extra promise and turns an
 * async generator would take per datagram. Ends when the socket closes; any other error rejects that
 * `next()` and ends the iteration, as a generator's would. `return()` cancels a `next()` still waiting
 * (it resolves done), so that no datagram is taken for an iteration that is over.
 *
 * The options are read once, when the iterator is made (the source checks them then and hands back what
 * each receive takes): a `next()` checks no option again, and a waiting one receives with the same.
 *
 * @module
 */
import { SocketClosedError } from "../errors.ts";
import type { DatagramMessage, ReceiveOptions } from "../message.ts";

/**
 * What the iterator needs of a connection.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" }); // messages() iterates over the connection as a MessageSource
 * const it = conn.messages();
 * await it.return?.();
 * ```
 */
export interface MessageSource {
  /**
   * Checks an iterator's options once and returns what {@link tryReceiveFair} takes for them; throws the
   * error a receive with them would. `options` is the caller's object (for its keys), `values` what was
   * read from it, once. Without it, `tryReceiveFair` is given `values`.
   */
  prepare?(options: ReceiveOptions | undefined, values: ReceiveOptions | undefined): unknown;
  /** A datagram at hand within the fairness budget, or null (then `receiveMsg` waits for one). */
  tryReceiveFair(prepared: unknown): DatagramMessage | null;
  receiveMsg(options?: ReceiveOptions): Promise<DatagramMessage>;
}

/**
 * The options a receive reads, each read once, now: the waits, the signal and the checks use these, not the
 * caller's object (whose getters, if it has any, run here and nowhere else).
 */
function snapshot(options: ReceiveOptions | undefined): ReceiveOptions | undefined {
  if (typeof options !== "object" || options === null) return options;
  const { buffer, peek, flags, signal, controlSize, reuse } = options;
  // Every key of ReceiveOptions: the compiler says when one is added there and not here.
  return { buffer, peek, flags, signal, controlSize, reuse } satisfies Record<keyof ReceiveOptions, unknown>;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
/** The reason a waiting `next()` is cancelled with by `return()`: it ends the iteration quietly. */
const RETURNED = Object.freeze({ reason: "messages(): return() was called" });

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
  /** The caller's options, as they were when the iterator was made: each read once (see snapshot). */
  readonly #options: ReceiveOptions | undefined;
  /** What the source made of them (see MessageSource.prepare). */
  #prepared: unknown;
  /** The options a waiting receive gets: the caller's, with a signal `return()` aborts too (made at the first wait). */
  #waitOptions: ReceiveOptions | null = null;
  #cancel: AbortController | null = null;
  #done = false;
  /** An error found in the options: the first next() rejects with it. */
  #refused: { error: unknown } | null;
  readonly #yielded = (value: DatagramMessage): IteratorResult<DatagramMessage, undefined> => ({ value, done: false });
  readonly #failed = (e: unknown): Promise<IteratorResult<DatagramMessage, undefined>> => this.#end(e);

  /** An error in `options` (a getter that throws too) rejects the first `next()`, as a receive's would. */
  constructor(source: MessageSource, options: ReceiveOptions | undefined) {
    this.#source = source;
    let values: ReceiveOptions | undefined;
    let refused: { error: unknown } | null = null;
    try {
      values = snapshot(options);
      this.#prepared = source.prepare ? source.prepare(options, values) : values;
    } catch (e) {
      values = undefined;
      refused = { error: e };
    }
    this.#options = values;
    this.#refused = refused;
  }

  next(): Promise<IteratorResult<DatagramMessage, undefined>> {
    if (this.#done) return Promise.resolve(DONE);
    if (this.#refused) return this.#end(this.#refused.error);
    const options = this.#options;
    if (options?.signal?.aborted) return this.#end(options.signal.reason);
    let m: DatagramMessage | null;
    try {
      m = this.#source.tryReceiveFair(this.#prepared);
    } catch (e) {
      return this.#end(e);
    }
    if (m !== null) return Promise.resolve({ value: m, done: false });
    return this.#source.receiveMsg(this.#waitOptions ?? this.#makeWaitOptions()).then(this.#yielded, this.#failed);
  }

  return(): Promise<IteratorResult<DatagramMessage, undefined>> {
    this.#done = true;
    this.#cancel?.abort(RETURNED);
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #makeWaitOptions(): ReceiveOptions {
    const cancel = this.#cancel = new AbortController();
    const own = this.#options?.signal;
    const signal = own ? AbortSignal.any([own, cancel.signal]) : cancel.signal;
    return this.#waitOptions = { ...this.#options, signal };
  }

  /** The iteration is over: a closed socket or `return()` ends it quietly, anything else rejects this call. */
  #end(e: unknown): Promise<IteratorResult<DatagramMessage, undefined>> {
    this.#done = true;
    this.#refused = null;
    return e instanceof SocketClosedError || e === RETURNED ? Promise.resolve(DONE) : Promise.reject(e);
  }
}
