/**
 * The sends of one connection. A send goes at once when nothing waits and the send buffer has room;
 * otherwise it waits, in call order, as an entry of one shape: a list of transmits (a single send is a
 * list of one, a segmented send one transmit or its segments, `sendMsgs` its messages), how many went,
 * and how the caller learns the result. Waiting transmits are copies made at the call.
 *
 * Everything goes through the backend's `send(transmit)` and `sendMany(transmits)`. A segmented send the
 * system will not cut comes back as SEGMENTS_AS_BATCH: its segments take its place in the same entry and
 * go as a batch. The backend learns such refusals itself (no error code is read here).
 *
 * With `batchSends`, a plain `sendMsg` is held instead (a copy), its promise resolved at once, and the
 * held datagrams go together — one sendmmsg on Linux — when {@link HOLD_MAX} are held, when the event
 * loop turns, before any other send, and at close. One the system refuses is reported by the next send
 * call, which then sends nothing, as the kernel reports an ICMP error of an earlier datagram.
 *
 * @module
 */
import { type BackendSocket, SEGMENTS_AS_BATCH, type Transmit } from "../ffi/common/backend.ts";
import { SocketClosedError, SocketError } from "../errors.ts";
import { nextTurn } from "./receive_queue.ts";
import { offloads, segmentsFailed, segmentsOf } from "./segmentation.ts";
import { type SendMsgsResult, waitingCopy } from "./transmit.ts";

/** What a run of sends did: how many went, the error that stopped it (or null), whether the buffer filled. */
interface Progress {
  sent: number;
  error: unknown;
  full: boolean;
}

/** A send waiting for room in the send buffer. */
interface Entry {
  /** The entry's own transmits (copies); a refused offload replaces its transmit by the segments, in place. */
  readonly transmits: Transmit[];
  /** How many of them went. */
  done: number;
  /** Tells the caller: `sent` transmits went, then `error` (null: all went). */
  readonly settle: (sent: number, error: unknown, transmits: readonly Transmit[]) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Sends `transmits[from...]` now, until all went, the buffer filled, or an error stopped them. A
 * segmented transmit the system will not cut (`send` answers SEGMENTS_AS_BATCH) is replaced, in the
 * list, by its segments. The last datagram, and each segmented one, goes by one `send` (the backend's
 * memo makes a repeated reply cheap); runs of more by `sendMany` where the backend has it (Linux sendmmsg).
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" }); // sendMsgs sends through sendNow
 * console.log((await conn.sendMsgs([{ data: new Uint8Array(1), remoteAddr: conn.addr }])).sent); // 1
 * ```
 */
export function sendNow(socket: BackendSocket, transmits: Transmit[], from: number): Progress {
  let i = from;
  while (i < transmits.length) {
    const t = transmits[i];
    if (socket.sendMany && t.segmentSize === undefined && transmits.length - i > 1) {
      let r;
      try {
        r = socket.sendMany(transmits, i);
      } catch (e) {
        return { sent: i - from, error: e, full: false };
      }
      i += r.sent;
      if (r.error || r.full) return { sent: i - from, error: r.error, full: r.full };
      if (r.sent === 0) break;
      continue;
    }
    // A segmented transmit that waited while the backend learned the system will not cut it: its segments.
    if (t.segmentSize !== undefined && !offloads(socket, t)) {
      transmits.splice(i, 1, ...segmentsOf(t));
      continue;
    }
    let sent: number | null;
    try {
      sent = socket.send(t);
    } catch (e) {
      return { sent: i - from, error: e, full: false };
    }
    if (sent === SEGMENTS_AS_BATCH) {
      transmits.splice(i, 1, ...segmentsOf(t));
      continue;
    }
    if (sent === null) return { sent: i - from, error: null, full: true };
    i++;
  }
  return { sent: i - from, error: null, full: false };
}

/**
 * The most sends `batchSends` holds before they go: a sendmmsg's worth (64, as a batch receive takes).
 *
 * @example
 * ```ts
 * import { HOLD_MAX } from "./send_queue.ts";
 * console.log(HOLD_MAX); // 64
 * ```
 */
export const HOLD_MAX = 64;

/**
 * A held datagram the system refused, told to the next send call: same code, the datagram's address
 * named. A closed socket's error stays what it is.
 */
function heldFailure(error: unknown, dest: Transmit["to"], more: number): unknown {
  if (!(error instanceof SocketError) || error instanceof SocketClosedError) return error;
  const to = dest === null ? "the connected peer" : `${dest.hostname}:${dest.port}`;
  const others = more > 0 ? ` (and ${more} more held datagram${more === 1 ? "" : "s"} after it)` : "";
  const e = new SocketError(
    error.code,
    error.errno,
    error.syscall,
    `a datagram to ${to} held by batchSends was refused${others}; this call sent nothing. ${error.message}`,
    dest === null ? undefined : { address: dest.hostname, port: dest.port },
  );
  (e as { cause?: unknown }).cause = error;
  return e;
}

/** How a single (maybe segmented) send reports: its bytes, or the error — saying how many segments went. */
function singleResult(total: number, resolve: (n: number) => void, reject: (e: unknown) => void) {
  return (sent: number, error: unknown, transmits: readonly Transmit[]): void => {
    if (error === null) resolve(total);
    else reject(transmits.length === 1 ? error : segmentsFailed({ sent, error }, transmits.length));
  };
}

/**
 * The sends of a socket waiting for room, in call order.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1" }); // its sends go through a SendQueue
 * await conn.sendMsg(new Uint8Array(1), conn.addr);
 * ```
 */
export class SendQueue {
  readonly #socket: BackendSocket;
  /**
   * @internal The connection this queue serves. Whatever will call a waiting queue back (the event queue's
   * watch, a scheduled turn) reaches the queue, and through this the connection: one with an operation
   * pending is never garbage-collected, so its finalizer cannot close the socket under the wait.
   */
  readonly owner: object;
  readonly #entries: Entry[] = [];
  readonly #flushNow = (error: unknown): void => this.#flush(error);
  #closed = false;
  /** `batchSends`: plain sends are held and go together. */
  readonly #batching: boolean;
  /** The held sends (copies), in call order. */
  #held: Transmit[] = [];
  /** A macrotask will send what is held. */
  #releaseSoon = false;
  readonly #releaseTurn = (): void => {
    this.#releaseSoon = false;
    this.release();
  };
  /** The first held datagram the system refused and no call has reported yet, and how many more failed. */
  #heldError: { error: unknown; to: Transmit["to"] } | null = null;
  #heldErrorsMore = 0;

  constructor(socket: BackendSocket, owner: object, batching = false) {
    this.#socket = socket;
    this.owner = owner;
    this.#batching = batching;
  }

  /** Whether sends wait: a new send goes after them. */
  get waiting(): boolean {
    return this.#entries.length > 0;
  }

  /**
   * Sends what `batchSends` holds, now: as many as the buffer takes (one sendmmsg on Linux), the rest
   * waiting for room like any send. A datagram the system refuses is kept for the next call to report.
   */
  release(): void {
    const held = this.#held;
    if (held.length === 0) return;
    this.#held = [];
    let i = 0;
    while (i < held.length && this.#entries.length === 0) {
      const r = sendNow(this.#socket, held, i);
      i += r.sent;
      if (r.error !== null) this.#heldFailed(r.error, held[i++]);
      else if (r.full || r.sent === 0) break;
    }
    // What the buffer did not take waits, each on its own, reporting a failure as above.
    for (; i < held.length; i++) {
      const t = held[i];
      this.#enqueue(
        [t],
        0,
        (_sent, error) => {
          if (error !== null) this.#heldFailed(error, t);
        },
        undefined,
        false,
      );
    }
  }

  /**
   * Resolves when every send made so far went (held ones released now); rejects with a refusal of a held
   * datagram not reported yet.
   */
  async drain(): Promise<void> {
    this.release();
    if (this.#entries.length > 0) {
      // An entry of no datagrams, settled when all before it went — or with what stopped them (close).
      await new Promise<void>((resolve, reject) =>
        this.#enqueue([], 0, (_sent, error) => error === null ? resolve() : reject(error), undefined, false)
      );
    }
    const failed = this.#takeHeldError();
    if (failed !== null) throw failed;
  }

  #heldFailed(error: unknown, t: Transmit): void {
    if (this.#heldError === null) this.#heldError = { error, to: t.to };
    else this.#heldErrorsMore++;
  }

  /** A refusal of a held datagram, to report now (then forgotten), or null. */
  #takeHeldError(): unknown {
    const h = this.#heldError;
    if (h === null) return null;
    this.#heldError = null;
    const more = this.#heldErrorsMore;
    this.#heldErrorsMore = 0;
    return heldFailure(h.error, h.to, more);
  }

  /** Before any send but a held one: what is held goes first, and a refusal of it is reported. */
  #before(): unknown {
    if (!this.#batching) return null;
    this.release();
    return this.#takeHeldError();
  }

  /** One send (segmented when `t.segmentSize` is set): the bytes sent, when they went. `t` may be a scratch record. */
  send(t: Transmit, signal: AbortSignal | undefined): Promise<number> {
    if (this.#batching) {
      // Port 0 (as a forged sender's datagram asks) is not held: a UDP socket refuses it before any call,
      // so its own sendMsg rejects, and an earlier refusal is left for the next send to report. (An ICMP
      // socket's port 0 means nothing: such a send goes, after what is held.)
      const zero = t.to !== null && t.to.port === 0;
      const holds = !zero && t.segmentSize === undefined && signal === undefined && this.#entries.length === 0;
      // A send that is not held sends what is held first, and reports a refusal that uncovers.
      let failed: unknown = null;
      if (holds) failed = this.#takeHeldError();
      else if (zero) this.release();
      else failed = this.#before();
      if (failed !== null) return Promise.reject(failed);
      if (holds) {
        const held = this.#held;
        held.push(waitingCopy(t));
        if (held.length >= HOLD_MAX) this.release();
        else if (!this.#releaseSoon) {
          this.#releaseSoon = true;
          nextTurn(this.#releaseTurn);
        }
        return Promise.resolve(t.data.length);
      }
    }
    const socket = this.#socket;
    const total = t.data.length;
    let list: Transmit[] | null = t.segmentSize !== undefined && !offloads(socket, t) ? segmentsOf(t) : null;
    let done = 0;
    if (this.#entries.length === 0) {
      if (list === null) {
        let sent: number | null;
        try {
          sent = socket.send(t);
        } catch (e) {
          return Promise.reject(e);
        }
        if (sent === SEGMENTS_AS_BATCH) list = segmentsOf(t);
        else if (sent !== null) return Promise.resolve(sent);
      }
      if (list !== null) {
        const r = sendNow(socket, list, 0);
        if (r.error !== null) return Promise.reject(segmentsFailed(r, list.length));
        if (r.sent === list.length) return Promise.resolve(total);
        done = r.sent;
      }
    }
    return new Promise<number>((resolve, reject) => {
      this.#enqueue(list ?? [t], done, singleResult(total, resolve, reject), signal);
    });
  }

  /** {@link send} without waiting: the bytes sent (of the segments that went), or null when none could go. */
  trySend(t: Transmit): number | null {
    const failed = this.#before();
    if (failed !== null) throw failed;
    if (this.#entries.length > 0) return null;
    const socket = this.#socket;
    let list: Transmit[] | null = t.segmentSize !== undefined && !offloads(socket, t) ? segmentsOf(t) : null;
    if (list === null) {
      const sent = socket.send(t);
      if (sent !== SEGMENTS_AS_BATCH) return sent;
      list = segmentsOf(t);
    }
    const r = sendNow(socket, list, 0);
    if (r.error !== null) throw segmentsFailed(r, list.length);
    return r.sent === 0 ? null : Math.min(t.data.length, r.sent * t.segmentSize!);
  }

  /** A batch: what goes now, and the rest after room is made, in order with the other sends. */
  sendBatch(transmits: Transmit[], signal: AbortSignal | undefined): Promise<SendMsgsResult> {
    if (signal?.aborted) return Promise.resolve({ sent: 0, error: signal.reason });
    const failed = this.#before();
    if (failed !== null) return Promise.resolve({ sent: 0, error: failed as Error });
    let done = 0;
    if (this.#entries.length === 0) {
      const r = sendNow(this.#socket, transmits, 0);
      if (r.error !== null || r.sent === transmits.length) {
        return Promise.resolve({ sent: r.sent, error: r.error as Error | null });
      }
      done = r.sent;
    }
    return new Promise<SendMsgsResult>((resolve) => {
      this.#enqueue(transmits, done, (sent, error) => resolve({ sent, error: error as Error | null }), signal);
    });
  }

  /** {@link sendBatch} without waiting: how many went; `error` null when all went or the buffer filled. */
  trySendBatch(transmits: Transmit[]): SendMsgsResult {
    const failed = this.#before();
    if (failed !== null) return { sent: 0, error: failed as Error };
    if (this.#entries.length > 0) return { sent: 0, error: null };
    const r = sendNow(this.#socket, transmits, 0);
    // What a send throws: a SocketError, or a TypeError for a destination (see SendMsgsResult.error).
    return { sent: r.sent, error: r.error as Error | null };
  }

  /** The socket closed: every waiting send learns `error`. */
  close(error: () => unknown): void {
    // (What batchSends held was released by DatagramConn.close while the socket was open.)
    this.#closed = true;
    for (const p of this.#entries.splice(0)) this.#settle(p, error());
  }

  /** Queues what did not go, copied now as a send made now would have read it now. */
  #enqueue(
    transmits: Transmit[],
    done: number,
    settle: Entry["settle"],
    signal: AbortSignal | undefined,
    copy = true,
  ): void {
    if (copy) { for (let i = done; i < transmits.length; i++) transmits[i] = waitingCopy(transmits[i]); }
    const p: Entry = { transmits, done, settle, signal, onAbort: undefined };
    if (signal) {
      p.onAbort = () => this.#abort(p);
      signal.addEventListener("abort", p.onAbort, { once: true });
    }
    this.#entries.push(p);
    if (this.#entries.length === 1) this.#socket.whenWritable(this.#flushNow);
  }

  /** Room in the send buffer (or a failure of waiting): send what waits, in order, until it is full again. */
  #flush(error: unknown): void {
    const entries = this.#entries;
    while (entries.length > 0 && !this.#closed) {
      const p = entries[0];
      const r = error ? { sent: 0, error, full: false } : sendNow(this.#socket, p.transmits, p.done);
      p.done += r.sent;
      if (r.full) {
        this.#socket.whenWritable(this.#flushNow);
        return;
      }
      entries.shift();
      this.#settle(p, r.error);
    }
  }

  #abort(p: Entry): void {
    const i = this.#entries.indexOf(p);
    if (i < 0) return;
    this.#entries.splice(i, 1);
    if (this.#entries.length === 0) this.#socket.stopWritable();
    p.settle(p.done, p.signal!.reason, p.transmits);
  }

  #settle(p: Entry, error: unknown): void {
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
    p.settle(p.done, error, p.transmits);
  }
}
