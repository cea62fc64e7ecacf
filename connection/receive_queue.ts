/**
 * The receives of one connection: those waiting for a datagram (served in call order), the error a
 * batch met after it had datagrams in hand (reported by the next receive), arming the backend's wait,
 * and fairness — after {@link FAIR_BURST} datagrams delivered without the event loop turning (once it
 * last turned {@link FAIR_SLICE_MS} ago or more), the next delivery waits for a macrotask, so that timers
 * and other I/O run under any load. The count is the thread's, over all its connections: a hundred
 * flooded sockets get 32 between turns in all, not 32 each.
 *
 * @module
 */
import type { BackendSocket, ReceiveRequest } from "../ffi/common/backend.ts";
import type { DatagramMessage, ReceivedMessage } from "../message.ts";
import { outOfBounds, type ReceiveBatch, shrunkBuffer } from "./checks.ts";
import { SegmentCutter } from "./segmentation.ts";

/**
 * Datagrams delivered in a row without the event loop turning before the next delivery waits for a
 * macrotask: libuv's figure (uv__udp_io reads at most 32 datagrams per loop turn).
 *
 * @example
 * ```ts
 * import { FAIR_BURST } from "./receive_queue.ts";
 * console.log(FAIR_BURST); // 32
 * ```
 */
export const FAIR_BURST = 32;

/**
 * The least time, in ms, between turns of the event loop that fairness asks for: 32 deliveries that
 * took less (a drain with little work per datagram) go on without a macrotask — in such a drain a turn
 * every 32 datagrams halved Deno's rate — while with real work per datagram 32 deliveries take longer,
 * and the loop turns after each 32, as libuv's does.
 *
 * @example
 * ```ts
 * import { FAIR_SLICE_MS } from "./receive_queue.ts";
 * console.log(FAIR_SLICE_MS); // 2
 * ```
 */
export const FAIR_SLICE_MS = 2;

/**
 * A macrotask soon: setImmediate where the runtime has it (Deno, Bun and Node do), else a timer.
 *
 * @example
 * ```ts
 * import { nextTurn } from "./receive_queue.ts";
 * nextTurn(() => console.log("the event loop turned"));
 * ```
 */
export const nextTurn: (f: () => void) => void = (() => {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return typeof immediate === "function"
    ? (f: () => void) => void immediate(f)
    : (f: () => void) => void setTimeout(f, 0);
})();

/**
 * The thread's fairness budget, shared by all its connections (a module's state is per thread): datagrams
 * delivered since the event loop was last seen to turn, and when that was. A turn is seen when a
 * macrotask scheduled at the first delivery after the last one runs; a socket's readiness callback does
 * not count as one, since the ready sockets of one wait are all told in the same task.
 */
const budget = { delivered: 0, turnedAt: 0, watching: false };
const turnSeen = (): void => {
  budget.watching = false;
  budget.delivered = 0;
  budget.turnedAt = performance.now();
};

/** `n` datagrams delivered: counted, and the next turn of the event loop watched for. */
function spend(n: number): void {
  budget.delivered += n;
  if (!budget.watching) {
    budget.watching = true;
    nextTurn(turnSeen);
  }
}

/**
 * Whether the next delivery must wait for the event loop to turn: 32 in a row, and the loop last turned
 * at least FAIR_SLICE_MS ago. The clock is read once per 32 deliveries at most.
 */
function spent(): boolean {
  if (budget.delivered < FAIR_BURST) return false;
  if (performance.now() - budget.turnedAt >= FAIR_SLICE_MS) return true;
  budget.delivered = 0;
  return false;
}

/** A receive waiting for a datagram: a node of a doubly linked list, so that an abort unlinks it at once. */
interface Waiter {
  readonly request: ReceiveRequest;
  readonly method: string;
  readonly resolve: (m: DatagramMessage) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  prev: Waiter | null;
  next: Waiter | null;
  /** Still in the list (an abort after it was served does nothing). */
  linked: boolean;
}

/**
 * The waiting receives of a socket, in call order.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" }); // its receives go through a ReceiveQueue
 * const pending = conn.receiveMsg({ signal: AbortSignal.timeout(10) });
 * await pending.catch(() => {});
 * ```
 */
export class ReceiveQueue {
  readonly #socket: BackendSocket;
  /**
   * @internal The connection this queue serves. Whatever will call a waiting queue back (the event queue's
   * watch, a scheduled turn) reaches the queue, and through this the connection: one with an operation
   * pending is never garbage-collected, so its finalizer cannot close the socket under the wait.
   */
  readonly owner: object;
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #closed = false;
  /** An error met after a batch had datagrams in hand: the next receive reports it. */
  #deferred: { error: unknown } | null = null;
  /** A macrotask is scheduled to serve the waiters (fairness). */
  #yielding = false;
  readonly #readable = (): void => this.#serve();
  readonly #turned = (): void => {
    this.#yielding = false;
    this.#serve();
  };
  /** The request of a batch's immediate receives, rewritten by each: no object per datagram. */
  readonly #scratch: { -readonly [K in keyof ReceiveRequest]: ReceiveRequest[K] };
  readonly #cut = new SegmentCutter();

  constructor(socket: BackendSocket, owner: object) {
    this.#socket = socket;
    this.owner = owner;
    this.#scratch = { target: null, peek: false, controlSize: socket.defaultControlSize, reuse: null };
  }

  /** Whether receives are waiting: queued datagrams go to them first. */
  get waiting(): boolean {
    return this.#head !== null;
  }

  /** Keeps an error for the next receive (a batch met it after it had datagrams in hand). */
  defer(error: unknown): void {
    this.#deferred ??= { error };
  }

  /** Throws the error of a closed socket or the deferred error, if any. */
  throwIfFailed(): void {
    if (this.#closed) throw this.#socket.closedError();
    const d = this.#deferred;
    if (d) {
      this.#deferred = null;
      throw d.error;
    }
  }

  /**
   * One receive: at once when a datagram is at hand (and the fairness budget allows), else it waits.
   * A request that is the caller's `scratch` (rewritten by its next call) is copied when it waits.
   */
  receive(
    request: ReceiveRequest,
    signal: AbortSignal | undefined,
    method: string,
    scratch: ReceiveRequest,
  ): Promise<DatagramMessage> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    try {
      this.throwIfFailed();
      if (this.#head === null && !spent()) {
        const m = this.#socket.tryReceive(request);
        if (m) {
          spend(1);
          return Promise.resolve(m);
        }
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (request === scratch) request = { ...request };
    return new Promise<DatagramMessage>((resolve, reject) => {
      const w: Waiter = {
        request,
        method,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        prev: this.#tail,
        next: null,
        linked: true,
      };
      if (signal) {
        w.onAbort = () => this.#abort(w);
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      if (this.#tail) this.#tail.next = w;
      else this.#head = w;
      this.#tail = w;
      if (w.prev !== null) return;
      this.#socket.keepAlive(true);
      if (spent()) this.#yieldTurn();
      else this.#arm();
    });
  }

  /** One receive without waiting, null when none is at hand or receives wait; `fair`: null also when the budget is spent. */
  tryReceive(request: ReceiveRequest, fair: boolean): DatagramMessage | null {
    this.throwIfFailed();
    if (this.#head !== null) return null;
    if (!fair) return this.#socket.tryReceive(request);
    if (spent()) return null;
    const m = this.#socket.tryReceive(request);
    if (m !== null) spend(1);
    return m;
  }

  /** Immediate receives into `batch.out` from index `from`: one recvmmsg where there is one, else a loop. */
  receiveBatch(batch: ReceiveBatch, from: number): number {
    const socket = this.#socket;
    const { buffer, segment, out } = batch;
    // The caller's buffer may have shrunk (resizable) while the first receive waited: take no more.
    if (buffer !== null && buffer.length < segment * batch.count) return 0;
    if (socket.tryReceiveMany) {
      const n = socket.tryReceiveMany(batch, out, from);
      if (n > 0) spend(n);
      return n;
    }
    const segments = buffer === null ? null : this.#cut.views(buffer, segment, batch.count);
    let i = from;
    const r = this.#scratch;
    for (; i < batch.count && !this.#closed; i++) {
      r.target = segments === null ? null : segments[i];
      r.peek = false;
      r.controlSize = batch.controlSize;
      r.reuse = out[i] ?? null;
      const m = socket.tryReceive(r);
      if (m === null) break;
      out[i] = m as ReceivedMessage;
    }
    if (i > from) spend(i - from);
    return i - from;
  }

  /** The socket closed: every waiting receive rejects with `error`. */
  close(error: () => unknown): void {
    this.#closed = true;
    for (let w = this.#head; w !== null; w = w.next) {
      w.linked = false;
      this.#settle(w, undefined, error());
    }
    this.#head = this.#tail = null;
  }

  #arm(): void {
    try {
      this.#socket.whenReadable(this.#readable);
    } catch (e) {
      const w = this.#head;
      if (w) {
        this.#unlink(w);
        this.#settle(w, undefined, e);
      }
    }
  }

  /** The budget is spent: serve the waiters after a macrotask, once. */
  #yieldTurn(): void {
    if (this.#yielding) return;
    this.#yielding = true;
    nextTurn(this.#turned);
  }

  /** A datagram may be queued: serve waiters in order until none is left, none is queued, or the budget is spent. */
  #serve(): void {
    while (this.#head !== null && !this.#closed) {
      if (spent()) return this.#yieldTurn();
      const w = this.#head;
      // A buffer shrunk (resizable) while it waited would lose the datagram: refused before the call.
      if (w.request.target !== null && outOfBounds(w.request.target)) {
        this.#unlink(w);
        this.#settle(w, undefined, shrunkBuffer(w.method));
        continue;
      }
      let m: DatagramMessage | null;
      try {
        m = this.#socket.tryReceive(w.request);
      } catch (e) {
        this.#unlink(w);
        this.#settle(w, undefined, e);
        continue;
      }
      if (m === null) return this.#arm();
      spend(1);
      this.#unlink(w);
      this.#settle(w, m, undefined);
    }
    if (this.#head === null) this.#socket.keepAlive(false);
  }

  #unlink(w: Waiter): void {
    w.linked = false;
    if (w.prev) w.prev.next = w.next;
    else this.#head = w.next;
    if (w.next) w.next.prev = w.prev;
    else this.#tail = w.prev;
    w.prev = w.next = null;
  }

  #abort(w: Waiter): void {
    if (!w.linked) return;
    this.#unlink(w);
    // The system's wait stays posted: it costs nothing and the next receive reuses it.
    if (this.#head === null) this.#socket.keepAlive(false);
    w.reject(w.signal!.reason);
  }

  #settle(w: Waiter, m: DatagramMessage | undefined, e: unknown): void {
    if (w.onAbort) w.signal!.removeEventListener("abort", w.onAbort);
    if (m) w.resolve(m);
    else w.reject(e);
  }
}
