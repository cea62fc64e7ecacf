/**
 * The set of waiting sockets of a thread (POSIX), over the kernel's event queue (ffi/posix/event_queue.ts:
 * epoll on Linux, kqueue on macOS). A socket's descriptor is registered once, edge-triggered, for the
 * directions it has waited in; one wait for the whole queue runs while any socket waits
 * ({@link Native.waitQueue}: Deno's blocking pool, Bun's worker, Node's own event loop) and returns only
 * the ready descriptors. So an idle waiting socket costs nothing per wake-up, any number of sockets can
 * wait whatever the fd limit (no array of them is handed to the system), and a socket whose error queue
 * stays full (IP_RECVERR) is told once per new error instead of at every wait. A socket may also wait
 * for its error queue alone (`receiveErrors`: a watch of {@link POLLERR}, registered for no direction).
 *
 * A registration outlives a wait: a socket that waits again costs no system call. A direction reported
 * for a socket that no longer waits in it is dropped from the registration, so a busy socket that does
 * not wait (a flood being read ahead, sends that never block) does not wake the queue again.
 *
 * A control descriptor (an eventfd, or a pipe on Darwin) is registered too: when the last socket stops
 * waiting, writing it ends the running wait, so that an idle process can exit.
 *
 * A wait that cannot start (the queue cannot be opened for want of descriptors, a worker that does not
 * start) tells the sockets that asked with a typed error ({@link SocketError}, code EMFILE, EAGAIN, ...)
 * and keeps nothing of it: the next wait tries again.
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import { native } from "../native.ts";
import { type EventQueue, openEventQueue } from "./event_queue.ts";
import { ERRORS, FAILED, READ, WRITE } from "./event_values.ts";

/** poll(2) event bits (the same on Linux and Darwin): what a watch asks for. */
export const POLLIN = 0x1;
/** Writable without blocking. */
export const POLLOUT = 0x4;
/** An error is queued (the socket's error queue, `receiveErrors`): a watch for that alone. */
export const POLLERR = 0x8;
const EINTR = 4;
const EAGAIN = 11;
/** Events taken per wait; more wait for the next (the queue keeps them). */
const MAX_EVENTS = 256;

/** What the set needs of the C library (made by the backend). */
export interface PollLib {
  /** Not used any more (the event queue asks again itself); kept so that the backend need not change. */
  pollNow?(fds: Uint8Array, n: number): { result: number; errno: number };
  /** The control channel: [fd to watch, fd to write]. */
  readonly control: readonly [number, number];
  /** Writes the control channel (ends a running wait). */
  signal(): void;
  /** Empties the control channel after a wait saw it. */
  drain(): void;
  close(fd: number): void;
  /** The error for an errno value. */
  failure(errno: number, syscall: string): SocketError;
}

/** One socket's wish to be told about one direction. */
export interface PollWatch {
  readonly fd: number;
  readonly events: number;
  /** Called once on the JS thread: ready (null), or the error that kept the wait from running. */
  readonly notify: (error: SocketError | null) => void;
  /** False: waiting for it does not keep the process alive (changed through {@link PollSet.setHold}). */
  hold?: boolean;
}

/** A descriptor the queue knows: what it is registered for, and who waits on it now. */
interface Entry {
  registered: number;
  read: PollWatch | null;
  write: PollWatch | null;
  /** Who waits for an error to be queued (the error queue's reader). */
  error: PollWatch | null;
}

/**
 * The thread's set of waiting sockets.
 *
 * @example
 * ```ts ignore
 * const set = new PollSet(lib);
 * const w = { fd, events: POLLIN, notify: (e) => console.log("readable", e) };
 * set.add(w);      // told once
 * set.remove(w);   // or no longer wanted
 * set.closeFd(fd); // leaves the queue and closes
 * ```
 */
export class PollSet {
  readonly #lib: PollLib;
  #queue: EventQueue | null = null;
  readonly #entries = new Map<number, Entry>();
  /** Watches waiting now. */
  #count = 0;
  /** Of those, the ones that keep the process alive (`hold` not false). */
  #holding = 0;
  /** Whether the running wait keeps the process alive (a wait starts so). */
  #waitHeld = true;
  #running = false;
  #scheduled = false;
  #signalled = false;
  #controlRegistered = false;
  // Memory of the runtime's choosing: a wait on another thread may write into it after this thread ended.
  readonly #events = native.waitMemory(16 * MAX_EVENTS);
  readonly #dv = new DataView(this.#events.buffer, this.#events.byteOffset, this.#events.byteLength);
  /** Reused between wake-ups: the watches a wake-up tells. */
  readonly #ready: PollWatch[] = [];
  /**
   * Watches refused (their wait could not start) and not yet told: a watch removed or added again before
   * it is told leaves here, and the refusal is dropped — it belonged to a wait nobody wants any more.
   */
  readonly #refused = new Map<PollWatch, SocketError>();

  constructor(lib: PollLib) {
    this.#lib = lib;
  }

  /** How many sockets wait now (for tests and diagnostics). */
  get size(): number {
    return this.#count;
  }

  /** Tells `w.notify` once when `w.fd` is ready for `w.events` (or, later, that waiting failed). */
  add(w: PollWatch): void {
    this.#refused.delete(w);
    const dir = w.events & POLLOUT ? WRITE : w.events & POLLERR ? ERRORS : READ;
    let e = this.#entries.get(w.fd);
    if (!e) this.#entries.set(w.fd, e = { registered: 0, read: null, write: null, error: null });
    const had = dir === READ ? e.read : dir === WRITE ? e.write : e.error;
    if (had === w) return;
    if (had) this.#uncount(had);
    if (dir === READ) e.read = w;
    else if (dir === WRITE) e.write = w;
    else e.error = w;
    this.#count++;
    if (w.hold !== false) this.#holding++;
    const queue = this.#open();
    if (typeof queue === "number") return this.#refuse(e, w, this.#lib.failure(queue, "epoll_create1"));
    if (!(e.registered & dir)) {
      const err = queue.change(w.fd, e.registered, e.registered | dir);
      if (err !== 0) return this.#refuse(e, w, this.#lib.failure(err, "epoll_ctl"));
      // A socket that waits is closed by the runtime if this thread is terminated (Node: its port is free at once).
      if (e.registered === 0) native.closeWithThread?.(w.fd, true);
      e.registered |= dir;
    }
    this.#schedule();
    this.#applyHold();
  }

  /**
   * Whether waiting for `w` keeps the process alive; the running wait follows at once (the process may
   * exit while only unheld watches wait, and they are still told if it does not).
   */
  setHold(w: PollWatch, on: boolean): void {
    if ((w.hold !== false) === on) return;
    w.hold = on;
    const e = this.#entries.get(w.fd);
    if (e && (e.read === w || e.write === w || e.error === w)) this.#holding += on ? 1 : -1;
    this.#applyHold();
  }

  #uncount(w: PollWatch): void {
    this.#count--;
    if (w.hold !== false) this.#holding--;
  }

  #applyHold(): void {
    // With no watch left the wait was told to end (the control channel): it holds the process until it
    // has returned, as it always did, rather than leave the runtime to end with a wait about to return.
    const on = this.#holding > 0 || this.#count === 0;
    if (!this.#running || on === this.#waitHeld) return;
    this.#waitHeld = on;
    native.holdWait?.(on);
  }

  /** No longer tells `w` (nothing happens if it was told already). */
  remove(w: PollWatch): void {
    this.#refused.delete(w);
    const e = this.#entries.get(w.fd);
    if (!e) return;
    if (e.read === w) e.read = null;
    else if (e.write === w) e.write = null;
    else if (e.error === w) e.error = null;
    else return;
    this.#uncount(w);
    this.#applyHold();
    // The registration stays: the socket will likely wait again. An event for it now is dropped then.
    if (this.#count === 0 && this.#running && !this.#signalled) {
      // The running wait keeps the process alive: end it.
      this.#signalled = true;
      this.#lib.signal();
    }
  }

  /** Leaves the queue and closes `fd` (never throws: a socket always closes). */
  closeFd(fd: number): void {
    const e = this.#entries.get(fd);
    if (e) {
      if (e.read) this.remove(e.read);
      if (e.write) this.remove(e.write);
      if (e.error) this.remove(e.error);
      this.#entries.delete(fd);
      // Closing would remove it too, unless the socket was duplicated (rawHandle): then it would go on reporting.
      if (e.registered && this.#queue) this.#queue.change(fd, e.registered, 0);
    }
    // Whoever handed it to the runtime (the set, or the backend at its creation): not closed again at the thread's end.
    native.closeWithThread?.(fd, false);
    this.#lib.close(fd);
  }

  /** The queue, opened on first use (or again after it could not be): the errno when it cannot be. */
  #open(): EventQueue | number {
    if (this.#queue) return this.#queue;
    const q = openEventQueue();
    if (typeof q === "number") return q;
    this.#queue = q;
    // It lives as long as the thread: closed with it if the thread is terminated (the wait then returns).
    native.closeWithThread?.(q.fd, true);
    return q;
  }

  /** `w` cannot wait: it is told, after this call returns, with `error` (unless removed or added again first); nothing else changes. */
  #refuse(e: Entry, w: PollWatch, error: SocketError): void {
    if (e.read === w) e.read = null;
    else if (e.write === w) e.write = null;
    else if (e.error === w) e.error = null;
    this.#uncount(w);
    this.#applyHold();
    this.#refused.set(w, error);
    queueMicrotask(() => {
      if (this.#refused.get(w) !== error) return;
      this.#refused.delete(w);
      w.notify(error);
    });
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    // Several sockets armed in one turn share the first wait.
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#start();
    });
  }

  #start(): void {
    const q = this.#queue;
    if (this.#running || this.#count === 0 || !q) return;
    if (!this.#controlRegistered) {
      let control: number;
      try {
        control = this.#lib.control[0];
      } catch (e) {
        // The control channel could not be made (EMFILE): this wait fails, the next one tries again.
        return this.#failAll(e as SocketError);
      }
      const err = q.change(control, 0, READ);
      if (err !== 0) return this.#failAll(this.#lib.failure(err, "epoll_ctl"));
      // Written to before anything is closed at a terminated thread's end, so the wait returns.
      for (const fd of new Set(this.#lib.control)) native.closeWithThread?.(fd, true, true);
      this.#controlRegistered = true;
    }
    this.#running = true;
    let waiting: Promise<number>;
    try {
      waiting = native.waitQueue(q.fd, this.#events, MAX_EVENTS);
      this.#waitHeld = true;
      this.#applyHold();
    } catch (e) {
      waiting = Promise.reject(e);
    }
    waiting.then(
      (result) => this.#returned(q, result),
      (e) => {
        this.#running = false;
        this.#failAll(
          new SocketError(
            "EAGAIN",
            EAGAIN,
            "wait",
            `the wait for readiness could not run (${(e as Error)?.message ?? e}); the next wait tries again`,
          ),
        );
      },
    );
  }

  #returned(q: EventQueue, result: number): void {
    this.#running = false;
    let n = result;
    if (n < 0) {
      // errno belongs to the thread that waited: ask again here, without waiting, to learn it.
      const now = q.takeNow(this.#events, MAX_EVENTS);
      if (now.result < 0 && now.errno !== EINTR) return this.#failAll(this.#lib.failure(now.errno, "epoll_wait"));
      n = Math.max(0, now.result);
    }
    const dv = this.#dv;
    const ready = this.#ready;
    const control = this.#lib.control[0];
    for (let i = 0; i < n; i++) {
      const fd = q.fdAt(dv, i);
      const bits = q.bitsAt(dv, i);
      if (fd === control) {
        this.#lib.drain();
        this.#signalled = false;
        continue;
      }
      const e = this.#entries.get(fd);
      if (!e) continue;
      let unwanted = 0;
      if (bits & (READ | FAILED)) {
        if (e.read) {
          ready.push(e.read);
          this.#uncount(e.read);
          e.read = null;
        } else if (bits & READ) unwanted |= READ;
      }
      if (bits & (WRITE | FAILED)) {
        if (e.write) {
          ready.push(e.write);
          this.#uncount(e.write);
          e.write = null;
        } else if (bits & WRITE) unwanted |= WRITE;
      }
      if (bits & FAILED) {
        if (e.error) {
          ready.push(e.error);
          this.#uncount(e.error);
          e.error = null;
        } else unwanted |= ERRORS;
      }
      // Reported for a direction nobody waits in: stop being told until someone does.
      if (unwanted & e.registered && q.change(fd, e.registered, e.registered & ~unwanted) === 0) {
        e.registered &= ~unwanted;
      }
    }
    // Told after every event is read: a told socket may wait again at once.
    for (let i = 0; i < ready.length; i++) ready[i].notify(null);
    ready.length = 0;
    if (this.#count > 0) this.#start();
  }

  /** The wait itself failed (not EINTR): every waiting socket is told, instead of a spin on the error. */
  #failAll(error: SocketError): void {
    const all: PollWatch[] = [];
    for (const e of this.#entries.values()) {
      if (e.read) all.push(e.read);
      if (e.write) all.push(e.write);
      if (e.error) all.push(e.error);
      e.read = e.write = e.error = null;
    }
    this.#count = 0;
    this.#holding = 0;
    for (const w of all) w.notify(error);
  }
}
