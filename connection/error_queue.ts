/**
 * The readers of a connection's error queue (`receiveErrors: true`): `receiveError()` calls waiting for
 * a record, served in call order, each abortable by its `signal`; `tryReceiveError()`; and `errors()`,
 * an async iterator of them. The records and the wait are the backend's ({@link BackendErrorQueue}).
 *
 * @module
 */
import type { BackendErrorQueue, BackendSocket } from "../ffi/common/backend.ts";
import { SocketClosedError } from "../errors.ts";
import type { QueuedError } from "../message.ts";
import { describeValue } from "../structs/describe.ts";
import { refuseUnknownKeys } from "./checks.ts";

const KEYS: ReadonlySet<string> = new Set(["signal"]);

/**
 * The `signal` of `receiveError(options)` / `errors(options)`, checked: a TypeError names what is wrong.
 *
 * @example
 * ```ts
 * import { errorReadSignal } from "./error_queue.ts";
 * console.log(errorReadSignal(undefined, "receiveError")); // undefined
 * ```
 */
export function errorReadSignal(options: unknown, method: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${method}: options must be an object, got ${describeValue(options)}`);
  }
  refuseUnknownKeys(options, KEYS, method, "option");
  const signal = (options as { signal?: unknown }).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${method}: signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  return signal as AbortSignal | undefined;
}

interface Reader {
  readonly resolve: (e: QueuedError) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The waiting readers of one socket's error queue.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true }); // its reads go through an ErrorReaders
 * console.log(conn.tryReceiveError()); // null: nothing queued
 * ```
 */
export class ErrorReaders {
  readonly #socket: BackendSocket;
  /**
   * @internal The connection this queue serves. Whatever will call a waiting queue back (the event queue's
   * watch, a scheduled turn) reaches the queue, and through this the connection: one with an operation
   * pending is never garbage-collected, so its finalizer cannot close the socket under the wait.
   */
  readonly owner: object;
  readonly #queue: BackendErrorQueue | null;
  readonly #waiting: Reader[] = [];
  #closed = false;
  readonly #queued = (error: unknown): void => this.#serve(error);

  constructor(socket: BackendSocket, owner: object) {
    this.#socket = socket;
    this.owner = owner;
    this.#queue = socket.errorQueue ?? null;
  }

  /** The backend's queue; throws when the socket is closed or keeps no error queue. */
  check(method: string): BackendErrorQueue {
    if (this.#closed) throw this.#socket.closedError("recvmsg(MSG_ERRQUEUE)");
    if (this.#queue === null) {
      throw new TypeError(
        `${method}: this socket was opened without receiveErrors: true, so it keeps no error queue`,
      );
    }
    return this.#queue;
  }

  /** How many records the backend took from the system and dropped (see {@link QUEUED_ERRORS_KEPT}). */
  get dropped(): number {
    return this.#queue?.dropped ?? 0;
  }

  /** The oldest queued record, or null; also null while `receiveError()` calls wait (they come first). */
  tryReceive(method: string): QueuedError | null {
    const q = this.check(method);
    return this.#waiting.length > 0 ? null : q.take();
  }

  /** The oldest record, at once when one is queued, else when one is. */
  receive(options: unknown, method: string): Promise<QueuedError> {
    let q: BackendErrorQueue;
    let signal: AbortSignal | undefined;
    try {
      signal = errorReadSignal(options, method);
      q = this.check(method);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (this.#waiting.length === 0) {
        const e = q.take();
        if (e) return Promise.resolve(e);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<QueuedError>((resolve, reject) => {
      const r: Reader = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        r.onAbort = () => {
          const i = this.#waiting.indexOf(r);
          if (i < 0) return;
          this.#waiting.splice(i, 1);
          if (this.#waiting.length === 0) q.stop();
          reject(signal.reason);
        };
        signal.addEventListener("abort", r.onAbort, { once: true });
      }
      this.#waiting.push(r);
      if (this.#waiting.length === 1) q.whenQueued(this.#queued);
    });
  }

  #settle(r: Reader): void {
    if (r.onAbort) r.signal!.removeEventListener("abort", r.onAbort);
  }

  /** The backend says a record may be queued (or that waiting failed): serve the readers in order. */
  #serve(error: unknown): void {
    const q = this.#queue!;
    while (this.#waiting.length > 0) {
      let e: QueuedError | null;
      try {
        if (error) throw error;
        e = q.take();
      } catch (err) {
        const r = this.#waiting.shift()!;
        this.#settle(r);
        r.reject(err);
        error = null;
        continue;
      }
      if (e === null) break;
      const r = this.#waiting.shift()!;
      this.#settle(r);
      r.resolve(e);
    }
    if (this.#waiting.length > 0 && !this.#closed) q.whenQueued(this.#queued);
  }

  /** The records one by one until the socket closes (the iteration ends) or `signal` aborts (throws). */
  iterate(options: unknown, method: string): AsyncIterableIterator<QueuedError> {
    errorReadSignal(options, method);
    this.check(method);
    return this.#iterate(options, method);
  }

  async *#iterate(options: unknown, method: string): AsyncIterableIterator<QueuedError> {
    while (!this.#closed) {
      try {
        yield await this.receive(options, method);
      } catch (e) {
        if (this.#closed && e instanceof SocketClosedError) return;
        throw e;
      }
    }
  }

  /** Every waiting reader rejects with the closed socket's error. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#waiting.splice(0)) {
      this.#settle(r);
      r.reject(this.#socket.closedError("recvmsg(MSG_ERRQUEUE)"));
    }
  }
}
