/**
 * A socket's error queue on Linux (`receiveErrors: true`: IP_RECVERR / IPV6_RECVERR). The kernel keeps
 * the ICMP errors a socket's sends drew, and some local ones, as records read with
 * `recvmsg(MSG_ERRQUEUE)`: a `struct sock_extended_err` (structs/linux.ts, proven against gcc) and the
 * offender's address in an IP_RECVERR / IPV6_RECVERR control message, the original destination in
 * `msg_name`, and the first bytes of the original datagram as data.
 *
 * With IP_RECVERR on, the kernel also sets the socket's pending error (`sk_err`) for each ICMP error, on
 * unconnected sockets too, and the next receive or send fails once with it (ECONNREFUSED...) even with
 * datagrams queued. The socket then {@link ErrorQueue.absorb}s the failure: it moves the queued records
 * here (at most {@link QUEUED_ERRORS_KEPT}, the oldest dropped beyond), and the call is made again. So
 * no receive fails and no datagram waits because of a remote sender's ICMP, and records that nobody
 * reads do not fill the receive buffer the datagrams share with them.
 *
 * Waiting for a record is a watch of the poll set for errors alone (EPOLLERR, which epoll reports
 * whatever a registration asks, edge-triggered: once per new error).
 *
 * @module
 */
import { SocketError } from "../../errors.ts";
import type { NetAddr, QueuedError } from "../../message.ts";
import { LINUX_ERRNO } from "../../structs/errno.ts";
import { LINUX, LNX } from "../../structs/linux.ts";
import { decodeSockaddr } from "../../structs/sockaddr.ts";
import type { BackendErrorQueue } from "../common/backend.ts";
import { pointTo } from "../common/receive_target.ts";
import { errnoFailure, P, setSized } from "./platform.ts";
import { POLLERR, type PollWatch } from "./poll_set.ts";
import type { Lib } from "./system.ts";

/**
 * Records kept for the caller after the socket took them from the kernel (a receive or send met the
 * pending error); beyond this the oldest is dropped and counted in {@link ErrorQueue.dropped}.
 *
 * @example
 * ```ts
 * import { QUEUED_ERRORS_KEPT } from "./error_queue.ts";
 * console.log(QUEUED_ERRORS_KEPT); // 64
 * ```
 */
export const QUEUED_ERRORS_KEPT = 64;

/** Bytes of the original datagram kept per record. */
const PAYLOAD_MAX = 1024;
const MSG = LNX.msghdr.fields;
const EE = LNX.sock_extended_err;
const AT = { msg: 0, iov: 64, name: 80, control: 208, data: 720, end: 720 + PAYLOAD_MAX } as const;
const NAME_MAX = 128;
const CONTROL_MAX = 512;

/**
 * The errno values an ICMP message becomes (the kernel's icmp_err_convert and icmpv6_err_convert, and
 * EPROTO for a parameter problem), by name: their numbers come from the table gcc proves.
 */
const ICMP_ERRNO_NAMES: ReadonlySet<string> = new Set([
  "EACCES",
  "ENONET",
  "EPROTO",
  "EMSGSIZE",
  "ENOPROTOOPT",
  "EOPNOTSUPP",
  "ENETUNREACH",
  "ECONNREFUSED",
  "EHOSTDOWN",
  "EHOSTUNREACH",
]);
const ICMP_ERRNOS: ReadonlySet<number> = new Set(
  [...LINUX_ERRNO.values()].filter((e) => ICMP_ERRNO_NAMES.has(e.name)).map((e) => e.code),
);
const EMSGSIZE = [...LINUX_ERRNO.values()].find((e) => e.name === "EMSGSIZE")!.code;

const ORIGINS: Readonly<Record<number, QueuedError["origin"]>> = {
  [LINUX.SO_EE_ORIGIN_NONE]: "none",
  [LINUX.SO_EE_ORIGIN_LOCAL]: "local",
  [LINUX.SO_EE_ORIGIN_ICMP]: "icmp",
  [LINUX.SO_EE_ORIGIN_ICMP6]: "icmp6",
};

/** A plain IPv4 address for a v4-mapped one (a dual-stack socket's IPv4 peers). */
function netAddr(a: { hostname: string; port: number } | null): NetAddr | null {
  if (a === null) return null;
  const h = a.hostname.startsWith("::ffff:") && a.hostname.includes(".") ? a.hostname.slice(7) : a.hostname;
  return Object.freeze({ transport: "udp", hostname: h, port: a.port });
}

/**
 * One socket's error queue: records taken from the kernel and kept, the read of one more, and the
 * wait for one.
 *
 * @example
 * ```ts ignore
 * const q = new ErrorQueue(lib, fd);
 * const e = q.take(); // a QueuedError, or null when none is queued
 * if (!e) q.whenQueued((err) => console.log("queued", err));
 * ```
 */
export class ErrorQueue implements BackendErrorQueue {
  readonly #l: Lib;
  readonly #fd: number;
  readonly #u8 = new Uint8Array(new ArrayBuffer(AT.end));
  readonly #dv = new DataView(this.#u8.buffer);
  readonly #msg = this.#u8.subarray(AT.msg, AT.msg + LNX.msghdr.size);
  /** Taken from the kernel when a call met the pending error, oldest first. */
  readonly #kept: QueuedError[] = [];
  /** Records dropped because {@link QUEUED_ERRORS_KEPT} were kept already. */
  dropped = 0;
  readonly #watch: PollWatch;
  #watching = false;
  #onQueued: ((error: SocketError | null) => void) | null = null;
  #closed = false;

  constructor(l: Lib, fd: number) {
    this.#l = l;
    this.#fd = fd;
    const dv = this.#dv;
    pointTo(dv, AT.msg + MSG.msg_name.offset, this.#u8.subarray(AT.name));
    pointTo(dv, AT.msg + MSG.msg_iov.offset, this.#u8.subarray(AT.iov));
    setSized(dv, AT.msg + MSG.msg_iovlen.offset, MSG.msg_iovlen.size, 1);
    pointTo(dv, AT.msg + MSG.msg_control.offset, this.#u8.subarray(AT.control));
    pointTo(dv, AT.iov + LNX.iovec.fields.iov_base.offset, this.#u8.subarray(AT.data));
    setSized(dv, AT.iov + LNX.iovec.fields.iov_len.offset, LNX.iovec.fields.iov_len.size, PAYLOAD_MAX);
    this.#watch = {
      fd,
      events: POLLERR,
      notify: (e) => {
        this.#watching = false; // the set has let it go
        this.#told(e);
      },
    };
  }

  /** The oldest record: one kept here, else one read from the kernel; null when none is queued. Throws SocketError. */
  take(): QueuedError | null {
    return this.#kept.shift() ?? this.#read();
  }

  /**
   * A receive or send on the socket failed with `errno`: when it may be the pending error an ICMP
   * message set, the kernel's records are moved here (the waiting reader told) and true is returned:
   * make the call again. `sendSide`: the call was a send, which can fail with EMSGSIZE itself (a
   * datagram larger than the path), so EMSGSIZE counts only with an ICMP record of it.
   */
  absorb(errno: number, sendSide: boolean): boolean {
    if (this.#closed || !ICMP_ERRNOS.has(errno)) return false;
    let icmpSameErrno = false;
    for (let i = 0; i < 4096; i++) {
      let r: QueuedError | null;
      try {
        r = this.#read();
      } catch {
        break;
      }
      if (r === null) break;
      if (r.errno === errno && r.origin !== "local") icmpSameErrno = true;
      if (this.#kept.length >= QUEUED_ERRORS_KEPT) {
        this.#kept.shift();
        this.dropped++;
      }
      this.#kept.push(r);
    }
    if (this.#kept.length > 0 && this.#onQueued) queueMicrotask(() => this.#told(null));
    return !(sendSide && errno === EMSGSIZE && !icmpSameErrno);
  }

  /**
   * `call.call(self, arg)`, made again while it fails with the pending error of a queued ICMP error (a
   * receive at most 8 times; a send once more, since it can fail with EMSGSIZE itself).
   */
  again<A, R>(call: (this: unknown, a: A) => R, self: unknown, arg: A, send: boolean): R {
    for (let tries = 0;; tries++) {
      try {
        return call.call(self, arg);
      } catch (e) {
        if (tries === (send ? 1 : 8) || !this.absorbs(e, send)) throw e;
      }
    }
  }

  /** {@link absorb} for a thrown or reported error: only a SocketError of an open socket. */
  absorbs(e: unknown, send: boolean): boolean {
    return e instanceof SocketError && this.absorb(e.errno, send);
  }

  /** Calls `onQueued` once when a record may be queued (or with the error that ended waiting). */
  whenQueued(onQueued: (error: SocketError | null) => void): void {
    this.#onQueued = onQueued;
    if (this.#kept.length > 0) {
      queueMicrotask(() => this.#told(null));
      return;
    }
    if (this.#watching || this.#closed) return;
    this.#watching = true;
    this.#l.pollSet().add(this.#watch);
  }

  /** No longer wants to know (the last waiting reader was aborted, or the socket closes). */
  stop(): void {
    this.#onQueued = null;
    if (!this.#watching) return;
    this.#watching = false;
    this.#l.pollSet().remove(this.#watch);
  }

  /** Whether waiting keeps the process alive (the socket's `ref`). */
  setHold(on: boolean): void {
    if (this.#l.pollSetMade()) this.#l.pollSet().setHold(this.#watch, on);
    else this.#watch.hold = on;
  }

  close(): void {
    this.#closed = true;
    this.stop();
    this.#kept.length = 0;
  }

  #told(error: SocketError | null): void {
    // Told without the set (records taken aside): the watch leaves it, so that it holds the process no longer.
    if (this.#watching) {
      this.#watching = false;
      this.#l.pollSet().remove(this.#watch);
    }
    const f = this.#onQueued;
    this.#onQueued = null;
    f?.(error);
  }

  /** One recvmsg(MSG_ERRQUEUE): a record, or null when the kernel holds none. */
  #read(): QueuedError | null {
    const dv = this.#dv;
    dv.setUint32(AT.msg + MSG.msg_namelen.offset, NAME_MAX, true);
    setSized(dv, AT.msg + MSG.msg_controllen.offset, MSG.msg_controllen.size, CONTROL_MAX);
    dv.setInt32(AT.msg + MSG.msg_flags.offset, 0, true);
    const n = this.#l.c.recvmsg(this.#fd, this.#msg, LINUX.MSG_ERRQUEUE | LINUX.MSG_DONTWAIT);
    if (n < 0) {
      const errno = this.#l.errno();
      if (errno === P.EAGAIN) return null;
      throw errnoFailure(errno, "recvmsg(MSG_ERRQUEUE)");
    }
    const flags = dv.getInt32(AT.msg + MSG.msg_flags.offset, true);
    const nameLen = dv.getUint32(AT.msg + MSG.msg_namelen.offset, true);
    const controlLen = Math.min(dv.getUint32(AT.msg + MSG.msg_controllen.offset, true), CONTROL_MAX);
    const destination = netAddr(decodeSockaddr(dv, AT.name, Math.min(nameLen, NAME_MAX), P.families));
    // The control messages (LP64 cmsghdr: len u64, level, type; data 8-aligned): the IP_RECVERR one.
    for (let at = 0; at + 16 <= controlLen;) {
      const len = Number(dv.getBigUint64(AT.control + at, true));
      if (len < 16 || at + len > controlLen) break;
      const level = dv.getInt32(AT.control + at + 8, true);
      const type = dv.getInt32(AT.control + at + 12, true);
      const isV4 = level === LINUX.IPPROTO_IP && type === LINUX.IP_RECVERR;
      const isV6 = level === LINUX.IPPROTO_IPV6 && type === LINUX.IPV6_RECVERR;
      if ((isV4 || isV6) && len >= 16 + EE.size) {
        const ee = AT.control + at + 16;
        const errno = dv.getUint32(ee + EE.fields.ee_errno.offset, true);
        const origin = dv.getUint8(ee + EE.fields.ee_origin.offset);
        const e = P.errno(errno);
        // SO_EE_OFFENDER: the sockaddr right after the struct (family 0 when there is none).
        const offender = netAddr(decodeSockaddr(dv, ee + EE.size, len - 16 - EE.size, P.families));
        const copied = Math.min(n, PAYLOAD_MAX);
        const payload = new Uint8Array(copied);
        payload.set(this.#u8.subarray(AT.data, AT.data + copied));
        return Object.freeze({
          code: e.name,
          errno,
          message: e.message,
          origin: ORIGINS[origin] ?? origin,
          icmpType: dv.getUint8(ee + EE.fields.ee_type.offset),
          icmpCode: dv.getUint8(ee + EE.fields.ee_code.offset),
          info: dv.getUint32(ee + EE.fields.ee_info.offset, true),
          data: dv.getUint32(ee + EE.fields.ee_data.offset, true),
          offender,
          destination,
          payload,
          truncated: (flags & LINUX.MSG_TRUNC) !== 0,
        });
      }
      at += (len + 7) & ~7;
    }
    // A record without its control message (the control area was cut): still an error the caller should see.
    const e = P.errno(0);
    return Object.freeze({
      code: e.name,
      errno: 0,
      message: "The system queued an error without its details (its control message did not fit).",
      origin: "none",
      icmpType: 0,
      icmpCode: 0,
      info: 0,
      data: 0,
      offender: null,
      destination,
      payload: new Uint8Array(0),
      truncated: (flags & LINUX.MSG_TRUNC) !== 0,
    });
  }
}
