/**
 * One poll(2) set for every socket of the process (POSIX). Sockets ask to be told once when their fd
 * is readable or writable; the set keeps one `struct pollfd` array and has the runtime run one
 * blocking poll over all of it off the JS thread ({@link Native.pollOffThread}). So any number of
 * sockets waiting costs one thread (Deno: one of its blocking pool; Bun and Node: one worker), and
 * Deno's own file I/O keeps its pool.
 *
 * A control fd (an eventfd, or a pipe on Darwin) is the array's first entry: a change to the set
 * while a poll runs writes it, the poll returns, and the next poll sees the new set. The array is
 * rebuilt only between polls, so the memory the kernel reads never changes under it, and an fd that
 * is in the running poll is closed only after that poll returned, so that no poll can watch a reused
 * fd number.
 *
 * @module
 */
import type { SocketError } from "../../errors.ts";
import { native } from "../native.ts";

/** poll(2) event bits (the same on Linux and Darwin). */
export const POLLIN = 0x1;
/** Writable without blocking. */
export const POLLOUT = 0x4;
const POLLFD = 8;
const EINTR = 4;

/** What the set needs of the C library: kept apart so that the set holds no symbol table of its own. */
export interface PollLib {
  /** poll(fds, n, 0) on the JS thread: its result, with errno read right after when it fails. */
  pollNow(fds: Uint8Array, n: number): { result: number; errno: number };
  /** The control channel: [fd to poll, fd to write]. */
  readonly control: readonly [number, number];
  /** Writes the control channel (ends a running poll). */
  signal(): void;
  /** Empties the control channel after a poll saw it. */
  drain(): void;
  close(fd: number): void;
  /** The error for an errno value. */
  failure(errno: number, syscall: string): SocketError;
}

/** One socket's wish to be told about one direction. */
export interface PollWatch {
  readonly fd: number;
  readonly events: number;
  /** Called once on the JS thread: ready (null), or the error that ended waiting for every socket. */
  readonly notify: (error: SocketError | null) => void;
}

/**
 * The process's poll set.
 *
 * @example
 * ```ts ignore
 * const set = new PollSet(lib);
 * const w = { fd, events: POLLIN, notify: (e) => console.log("readable", e) };
 * set.add(w);      // told once
 * set.remove(w);   // or no longer wanted
 * ```
 */
export class PollSet {
  readonly #lib: PollLib;
  readonly #watches = new Set<PollWatch>();
  /** The watches of the running poll, in the order of the array (index 0 is the control fd); reused. */
  readonly #inPoll: PollWatch[] = [];
  #running = false;
  #signalled = false;
  #scheduled = false;
  /** fds whose close waits for the running poll to return. */
  #closeAfter: number[] = [];
  #fds = new Uint8Array(new ArrayBuffer(POLLFD * 64));
  #dv = new DataView(this.#fds.buffer);

  constructor(lib: PollLib) {
    this.#lib = lib;
  }

  /** How many sockets wait now (for tests and diagnostics). */
  get size(): number {
    return this.#watches.size;
  }

  /** Tells `w.notify` once when `w.fd` is ready for `w.events`. */
  add(w: PollWatch): void {
    this.#watches.add(w);
    this.#changed();
  }

  /** No longer tells `w` (nothing happens if it was told already). */
  remove(w: PollWatch): void {
    if (!this.#watches.delete(w)) return;
    // A running poll that watches it has nothing else to do when it was the last one.
    if (this.#running && this.#watches.size === 0) this.#signal();
  }

  /** Closes `fd` now, or, when the running poll may watch it, as soon as that poll has returned. */
  closeFd(fd: number): void {
    if (this.#running && this.#inPoll.some((w) => w.fd === fd)) {
      this.#closeAfter.push(fd);
      this.#signal();
    } else {
      this.#lib.close(fd);
    }
  }

  #changed(): void {
    if (this.#running) {
      this.#signal();
    } else if (!this.#scheduled) {
      // Several sockets armed in one turn share the first poll.
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        if (!this.#running && this.#watches.size > 0) this.#start();
      });
    }
  }

  #signal(): void {
    if (this.#signalled) return;
    this.#signalled = true;
    this.#lib.signal();
  }

  #start(): void {
    const n = 1 + this.#watches.size;
    if (this.#fds.length < n * POLLFD) {
      // Replaced only between polls; the old array is no longer read by the system.
      this.#fds = new Uint8Array(new ArrayBuffer(POLLFD * Math.max(n, 2 * this.#fds.length / POLLFD)));
      this.#dv = new DataView(this.#fds.buffer);
    }
    this.#entry(0, this.#lib.control[0], POLLIN);
    const inPoll = this.#inPoll;
    inPoll.length = 0;
    let i = 1;
    for (const w of this.#watches) {
      this.#entry(i++, w.fd, w.events);
      inPoll.push(w);
    }
    this.#running = true;
    const fds = this.#fds;
    native.pollOffThread(fds, n).then(
      (result) => this.#returned(fds, n, result),
      () => this.#returned(fds, n, -1),
    );
  }

  /** Writes pollfd `i` (a receive that waits makes one poll: no closure or array per wait). */
  #entry(i: number, fd: number, events: number): void {
    const dv = this.#dv;
    dv.setInt32(i * POLLFD, fd, true);
    dv.setInt16(i * POLLFD + 4, events, true);
    dv.setInt16(i * POLLFD + 6, 0, true);
  }

  #returned(fds: Uint8Array, n: number, result: number): void {
    this.#running = false;
    for (const fd of this.#closeAfter.splice(0)) this.#lib.close(fd);
    if (result < 0) {
      // errno belongs to the thread that ran the poll: ask again here, without waiting, to learn it.
      const now = this.#lib.pollNow(fds, n);
      if (now.result < 0 && now.errno !== EINTR) return this.#fail(this.#lib.failure(now.errno, "poll"));
    }
    const dv = this.#dv;
    if (dv.getInt16(6, true) !== 0 || this.#signalled) {
      this.#lib.drain();
      this.#signalled = false;
    }
    const inPoll = this.#inPoll;
    // Read every revents first: a notified socket may arm again, which rebuilds the array.
    let ready = 0;
    for (let i = 0; i < inPoll.length; i++) {
      // Any revents (ready, POLLERR, POLLHUP, POLLNVAL) lets the socket try its call and see.
      if (dv.getInt16((i + 1) * POLLFD + 6, true) !== 0 && this.#watches.delete(inPoll[i])) inPoll[ready++] = inPoll[i];
    }
    inPoll.length = ready;
    for (let i = 0; i < ready; i++) inPoll[i].notify(null);
    inPoll.length = 0;
    if (this.#watches.size > 0 && !this.#running) this.#start();
  }

  /** poll itself failed (not EINTR): every waiting socket is told, instead of a spin on the error. */
  #fail(error: SocketError): void {
    const all = [...this.#watches];
    this.#watches.clear();
    this.#inPoll.length = 0;
    if (this.#signalled) {
      this.#lib.drain();
      this.#signalled = false;
    }
    for (const w of all) w.notify(error);
  }
}
