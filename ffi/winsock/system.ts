/**
 * The Windows backend's system: ws2_32 and kernel32 opened once per process, WSAStartup counted per
 * socket, the one thread-safe callback every wait completes through, the peeks' memory, and counts for tests.
 *
 * @module
 */
import { SocketError, winsockFailure } from "../../errors.ts";
import { WINSOCK_VERSION_2_2 } from "../../structs/constants.ts";
import { WIN } from "../../structs/windows.ts";
import { native } from "../native.ts";
import { KERNEL32, WS2_32, type WSARECVMSG } from "../tables/windows.ts";
import type { Bound, NativeFn, ThreadSafeCallback } from "../types.ts";
import { PeekMemory } from "./peek_memory.ts";

/** Added to a socket's id to make the context of its send wait. */
export const WRITE_WAIT = 2 ** 30;

/** A socket as the wait callback sees it. */
export interface Waiter {
  /** The overlapped peek completed. */
  waitFired(): void;
  /** FD_WRITE was signalled; with `error`, the thread that delivers the waits' completions failed instead. */
  writeFired(error?: SocketError): void;
  /**
   * The thread that delivers the waits' completions failed: the waiting receive is told, and the next
   * receive throws `error`. The posted peek and its wait stay, and complete through the next worker.
   */
  waitFailed(error: SocketError): void;
}

/**
 * The error of a wait whose completions cannot reach this thread (the runtime's helper thread did not
 * start or died: `ThreadSafeCallback.ready` / `onFailure`): EAGAIN, since the next wait tries again.
 *
 * @example
 * ```ts ignore
 * throw waitFailure(new Error("the completion worker could not start: EMFILE"));
 * ```
 */
export function waitFailure(cause: unknown): SocketError {
  return new SocketError(
    "EAGAIN",
    11,
    "wait",
    `the wait for readiness could not run (${(cause as Error)?.message ?? cause}); the next wait tries again`,
  );
}

/** Starts what the callback needs before a wait (Node's completion worker), or throws {@link waitFailure}. */
export function readyToWait(l: Lib): void {
  try {
    l.callback.ready?.();
  } catch (e) {
    throw waitFailure(e);
  }
}

/** The process's Winsock: libraries, the wait callback, and what is open. */
export interface Lib {
  ws2: Bound<typeof WS2_32>;
  k32: Bound<typeof KERNEL32>;
  callback: ThreadSafeCallback;
  recvMsg: Map<string, NativeFn<typeof WSARECVMSG>>;
  /**
   * Sockets with a registered wait, by the context number the callback receives. Being here also keeps
   * a socket's memory reachable while the kernel owns its OVERLAPPED record, even if its owner dropped it.
   */
  waiting: Map<number, Waiter>;
  /** Sockets waiting for room to send (an FD_WRITE wait registered), by context number. */
  writers: Map<number, Waiter>;
  /** The overlapped peeks' memory: native, never freed under the kernel (ffi/winsock/peek_memory.ts). */
  peeks: PeekMemory;
  /** Sockets whose posted peek can no longer be watched: kept until the process exits. */
  pinned: Set<Waiter>;
  startups: number;
  /** Events created and not yet closed: each socket owns one until its last wait has fired. */
  events: number;
  keepAlives: number;
  nextId: number;
  /** Sockets opened with SIO_UDP_CONNRESET turned off (for tests). */
  connResetOff: number;
  wsadata: Uint8Array;
}

let lib: Lib | undefined;

/**
 * ws2_32 and kernel32, opened on first use.
 *
 * @example
 * ```ts ignore
 * const { ws2 } = load();
 * ```
 */
export function load(): Lib {
  if (lib) return lib;
  const ws2 = native.open("ws2_32.dll", WS2_32);
  const k32 = native.open("kernel32.dll", KERNEL32);
  const waiting = new Map<number, Waiter>();
  const writers = new Map<number, Waiter>();
  // Context numbers from WRITE_WAIT up are send waits (FD_WRITE); below, the receive peek's.
  const callback = native.threadSafeCallback((context) => {
    if (context >= WRITE_WAIT) writers.get(context - WRITE_WAIT)?.writeFired();
    else waiting.get(context)?.waitFired();
  });
  callback.onFailure = (e) => {
    const error = waitFailure(e);
    for (const w of [...waiting.values()]) w.waitFailed(error);
    for (const w of [...writers.values()]) w.writeFired(error);
  };
  lib = {
    ws2,
    k32,
    callback,
    recvMsg: new Map(),
    waiting,
    writers,
    peeks: new PeekMemory(k32.VirtualAlloc, native.viewBytes),
    pinned: new Set(),
    startups: 0,
    events: 0,
    keepAlives: 0,
    nextId: 1,
    connResetOff: 0,
    wsadata: new Uint8Array(new ArrayBuffer(WIN.WSADATA.size)),
  };
  return lib;
}

/**
 * Tells the callback whether any thread-pool wait is registered (a receive's peek or a send's FD_WRITE), after
 * each change of {@link Lib.waiting} or {@link Lib.writers}.
 *
 * @example
 * ```ts ignore
 * l.waiting.delete(id);
 * waitsChanged(l);
 * ```
 */
export function waitsChanged(l: Lib): void {
  l.callback.waiting?.(l.waiting.size + l.writers.size > 0);
}

/**
 * WSAStartup once per socket this module opens; WSACleanup when the last one is gone.
 *
 * @example
 * ```ts ignore
 * startup(load());
 * ```
 */
export function startup(l: Lib): void {
  if (l.startups === 0) {
    const rc = l.ws2.WSAStartup(WINSOCK_VERSION_2_2, l.wsadata);
    // WSAStartup returns its error instead of setting WSAGetLastError.
    if (rc !== 0) throw winsockFailure(rc, "WSAStartup");
  }
  l.startups++;
}

/**
 * The other half of {@link startup}.
 *
 * @example
 * ```ts ignore
 * cleanup(l);
 * ```
 */
export function cleanup(l: Lib): void {
  if (--l.startups === 0) l.ws2.WSACleanup();
}

/**
 * A failed call: reads WSAGetLastError at once, before anything else can overwrite it.
 *
 * @example
 * ```ts ignore
 * if (ws2.bind(s, name, len) !== 0) fail(l, "bind");
 * ```
 */
export function fail(l: Lib, syscall: string): never {
  throw winsockFailure(l.ws2.WSAGetLastError(), syscall);
}

/** What {@link winsockStats} reports. */
export interface WinsockStats {
  /** The process's handle count (GetProcessHandleCount), or null where it is not kept (Wine answers 0). */
  handles: number | null;
  /** Sockets this module holds Winsock started for (WSAStartup minus WSACleanup). */
  startups: number;
  /** Events this module created and has not closed. */
  events: number;
  /** Sockets with a thread-pool wait registered. */
  waiting: number;
  /** Sockets opened so far with SIO_UDP_CONNRESET turned off. */
  connResetOff: number;
  /** Peek memory slots held by sockets (ffi/winsock/peek_memory.ts), and the 64 KiB regions mapped for them. */
  peekSlots: number;
  peekRegions: number;
}

/**
 * For tests, soaks and diagnostics: counts that must come back to their baseline when every socket is closed.
 *
 * @example
 * ```ts
 * import { winsockStats } from "./winsock.ts";
 * console.log(winsockStats()); // { handles: 212, startups: 0, events: 0, waiting: 0 }
 * ```
 */
export function winsockStats(): WinsockStats {
  const l = load();
  const out = new Uint8Array(new ArrayBuffer(72)).subarray(0, 4);
  const ok = l.k32.GetProcessHandleCount(l.k32.GetCurrentProcess(), out);
  const count = new DataView(out.buffer).getUint32(0, true);
  return {
    handles: ok && count > 0 ? count : null,
    startups: l.startups,
    events: l.events,
    waiting: l.waiting.size,
    connResetOff: l.connResetOff,
    peekSlots: l.peeks.inUse,
    peekRegions: l.peeks.regions,
  };
}
