/**
 * Sends of the POSIX backend: sendmsg of one datagram (or of a buffer the kernel cuts, Linux
 * UDP_SEGMENT), sendmmsg of many, and connect. What the system refuses is learned here: segmentation
 * offload (EIO, or EINVAL from a send whose destination and segment size are valid), the batch call
 * (ENOSYS / EPERM / EINVAL where one datagram alone goes), and ENOBUFS / ENOMEM are a full buffer for a
 * while (retried after a pause, then the error).
 *
 * @module
 */
import { amendSocketError, SocketError } from "../../errors.ts";
import type { NetAddr } from "../../message.ts";
import { encodeSockaddr } from "../../structs/sockaddr.ts";
import { type Capabilities, destination, SEGMENTS_AS_BATCH, type Transmit } from "../common/backend.ts";
import { pointTo, setPointer } from "../common/receive_target.ts";
import { sendMemo } from "../common/send_memo.ts";
import { DATA_CAPACITY, portZeroMessage, type SendMemory, stageSend } from "../common/socket_core.ts";
import { native } from "../native.ts";
import type { PinnedBuffer } from "../types.ts";
import { pathMtu } from "./path_mtu.ts";
import { errnoFailure, P, setSized } from "./platform.ts";
import { SendBatch } from "./sendmmsg.ts";
import { batchRefused, type Lib } from "./system.ts";

const C = P.C;
const MSG = P.msghdr.fields;
const IOV = P.iovec.fields;
const SEND = { iov: 56, name: 72, control: 104, end: 232 } as const;
/** Sends that may meet ENOBUFS / ENOMEM in a row before the error is given: about 0.5 s of pauses. */
const NO_BUFFERS_RETRIES = 10;
/** Headers before a segment's data: IPv4 20 + UDP 8; IPv6 40 + UDP 8. */
const HEADERS = { v4: 28, v6: 48 } as const;

/** What the sender needs of its socket. */
export interface SendHost {
  readonly fd: number;
  readonly l: Lib;
  readonly ipv6: boolean;
  /** A UDP socket (ICMP and raw sockets send to "port" 0). */
  readonly udp: boolean;
  readonly capabilities: Capabilities;
  readonly addr: NetAddr;
  /** The port the socket is bound to now (Linux unbinds an auto-bound socket when it disconnects). */
  boundPort(): number;
}

/** The send memory: the common slot and data, and the msghdr around them. */
interface PosixSendMemory extends SendMemory {
  readonly dv: DataView;
  /** The msghdr, as sendmsg takes it at the least cost (see Native.pin): `arena` keeps its memory. */
  readonly msg: PinnedBuffer;
  readonly arena: ArrayBuffer;
  readonly nameAddress: number;
}

/**
 * One socket's sends.
 *
 * @example
 * ```ts ignore
 * const sender = new PosixSender(socket);
 * sender.send({ data, to: { hostname: "127.0.0.1", port: 9 } });
 * ```
 */
export class PosixSender {
  readonly #h: SendHost;
  #mem: PosixSendMemory | null = null;
  #batch: SendBatch | null = null;
  /** The connected peer's family (which packet-info record a send carries), or null when not connected. */
  peer: { ipv4: boolean } | null = null;
  /** ENOBUFS / ENOMEM met by the sends in a row: while above 0, a wait for room is a pause. */
  noBuffers = 0;

  constructor(host: SendHost) {
    this.#h = host;
  }

  /** Memory for sends, made on the first one: msghdr, iovec, name and control, and a data copy. */
  #memory(): PosixSendMemory {
    if (this.#mem) return this.#mem;
    const arena = new ArrayBuffer(SEND.end);
    const u8 = new Uint8Array(arena);
    const dv = new DataView(arena);
    const data = new Uint8Array(new ArrayBuffer(DATA_CAPACITY));
    const control = u8.subarray(SEND.control, SEND.end);
    pointTo(dv, MSG.msg_name.offset, u8.subarray(SEND.name));
    pointTo(dv, MSG.msg_iov.offset, u8.subarray(SEND.iov));
    setSized(dv, MSG.msg_iovlen.offset, MSG.msg_iovlen.size, 1);
    pointTo(dv, SEND.iov + IOV.iov_base.offset, data);
    pointTo(dv, MSG.msg_control.offset, control);
    return this.#mem = {
      memo: sendMemo(),
      name: new DataView(arena, SEND.name, 28),
      control,
      families: P.families,
      socketIsIPv6: this.#h.ipv6,
      platform: P.sendPlatform,
      data,
      nameLen: 0,
      controlLen: 0,
      dv,
      msg: native.pin(u8.subarray(0, P.msghdr.size)),
      arena,
      nameAddress: native.addressOf(u8.subarray(SEND.name)),
    };
  }

  #fail = (reason: "port 0" | "no peer", to: Transmit["to"] = null): SocketError =>
    reason === "port 0"
      ? new SocketError("EINVAL", P.EINVAL, "sendmsg", portZeroMessage(to))
      : errnoFailure(P.EDESTADDRREQ, "sendmsg");

  /** See BackendSocket.send. */
  send(t: Transmit): number | null {
    const h = this.#h;
    const m = this.#memory();
    stageSend(m, t, this.peer ? this.peer.ipv4 : null, h.udp, this.#fail);
    // A connected send names no address: msg_name NULL (a name of length 0 would be EINVAL).
    setPointer(m.dv, MSG.msg_name.offset, t.to ? m.nameAddress : 0);
    m.dv.setUint32(MSG.msg_namelen.offset, m.nameLen, true);
    setSized(m.dv, SEND.iov + IOV.iov_len.offset, IOV.iov_len.size, t.data.length);
    setSized(m.dv, MSG.msg_controllen.offset, MSG.msg_controllen.size, m.controlLen);
    const sent = h.l.c.sendmsg(h.fd, m.msg, C.MSG_DONTWAIT);
    if (sent >= 0) {
      this.noBuffers = 0;
      return sent;
    }
    const errno = h.l.errno();
    if (errno === P.EAGAIN) return null;
    const e = errnoFailure(errno, "sendmsg");
    if (this.#noRoom(e)) return null;
    if (t.segmentSize !== undefined && this.#segmentsRefused(e, t)) return SEGMENTS_AS_BATCH;
    throw this.#failure(e, t.to);
  }

  /** ENOBUFS / ENOMEM: a full buffer for a while (true), until too many in a row (false: the error). */
  #noRoom(e: SocketError): boolean {
    if (e.code !== "ENOBUFS" && e.code !== "ENOMEM") return false;
    if (++this.noBuffers <= NO_BUFFERS_RETRIES) return true;
    this.noBuffers = 0;
    return false;
  }

  /**
   * Whether a segmented send's error means "send the segments as a batch". EIO, or EINVAL when the
   * destination (checked before the call) and the segment size are valid, is the system refusing the
   * offload: learned for good. A segment larger than the path allows (EMSGSIZE from the kernel's GSO
   * check, or EINVAL from older kernels) is this send's alone: its segments go as separate datagrams,
   * fragmented like any datagram larger than the path, and offload stays on. A segment larger than any
   * datagram can be is the caller's error (EMSGSIZE, thrown).
   */
  #segmentsRefused(e: SocketError, t: Transmit): boolean {
    const h = this.#h;
    const ipv4 = t.to ? destination(t.to.hostname, false).ipv4 : this.peer?.ipv4 ?? !h.ipv6;
    const headers = ipv4 ? HEADERS.v4 : HEADERS.v6;
    if (e.code === "EMSGSIZE") return t.segmentSize! + headers <= 65535;
    if (e.code !== "EIO" && e.code !== "EINVAL") return false;
    if (e.code === "EINVAL") {
      const mtu = pathMtu(h.l.c, h.fd, t.to, this.peer?.ipv4 ?? null, P.families);
      if (mtu !== undefined && t.segmentSize! + headers > mtu) return true;
    }
    h.capabilities.segmentOffload = false;
    return true;
  }

  /** A send's error; EMSGSIZE says the path MTU where the system knows it (Linux). */
  #failure(e: SocketError, to: Transmit["to"]): SocketError {
    if (P.os !== "linux" || e.code !== "EMSGSIZE") return e;
    const h = this.#h;
    const mtu = pathMtu(h.l.c, h.fd, to, this.peer?.ipv4 ?? null, P.families);
    if (mtu === undefined) return e;
    return amendSocketError(e, `; the path MTU to ${to ? to.hostname : "the peer"} is ${mtu} bytes`, { pathMtu: mtu });
  }

  /** See BackendSocket.sendMany: sendmmsg, or one sendmsg per datagram where the system refuses it. */
  sendMany(items: readonly Transmit[], from: number): { sent: number; error: SocketError | null; full: boolean } {
    const h = this.#h;
    const l = h.l;
    if (l.refused.send) return this.#oneByOne(items, from);
    // UDP port 0 fails its own datagram: the ones before it go.
    const n = Math.min(64, items.length - from);
    for (let i = 0; i < n; i++) {
      const to = items[from + i].to;
      if (to !== null && to.port === 0 && h.udp) {
        if (i === 0) return { sent: 0, error: this.#fail("port 0", to), full: false };
        return this.#batchCall(items.slice(from, from + i), 0);
      }
    }
    return this.#batchCall(items, from);
  }

  #batchCall(items: readonly Transmit[], from: number): { sent: number; error: SocketError | null; full: boolean } {
    const h = this.#h;
    const l = h.l;
    const b = this.#batch ??= new SendBatch(
      P.families,
      h.ipv6,
      (vec, n) => l.sendmmsg!(h.fd, vec, n, C.MSG_DONTWAIT),
      l.errno,
    );
    const r = b.send(items, from, this.peer ? this.peer.ipv4 : null);
    if (r.errno === 0) {
      this.noBuffers = 0;
      return { sent: r.sent, error: null, full: false };
    }
    if (r.errno === P.EAGAIN) return { sent: 0, error: null, full: true };
    const e = errnoFailure(r.errno, "sendmmsg");
    if (this.#noRoom(e)) return { sent: 0, error: null, full: true };
    if (e.code === "ENOSYS" || e.code === "EPERM" || e.code === "EINVAL") {
      // The call refused, or this datagram? The first one alone tells: if it goes, the call was refused.
      let one: number | null;
      try {
        one = this.send(items[from]);
      } catch (single) {
        return { sent: 0, error: single as SocketError, full: false };
      }
      if (one === null) return { sent: 0, error: null, full: true };
      batchRefused(l, "send", e);
      const rest = this.#oneByOne(items, from + 1);
      return { sent: rest.sent + 1, error: rest.error, full: rest.full };
    }
    return { sent: 0, error: this.#failure(e, items[from].to), full: false };
  }

  /** Up to 64 datagrams, one sendmsg each, with sendmmsg's result: stops at the first error or full buffer. */
  #oneByOne(items: readonly Transmit[], from: number): { sent: number; error: SocketError | null; full: boolean } {
    const n = Math.min(64, items.length - from);
    for (let i = 0; i < n; i++) {
      let sent: number | null;
      try {
        sent = this.send(items[from + i]);
      } catch (e) {
        return i === 0 ? { sent: 0, error: e as SocketError, full: false } : { sent: i, error: null, full: false };
      }
      if (sent === null) return { sent: i, error: null, full: i === 0 };
    }
    return { sent: n, error: null, full: false };
  }

  /** See BackendSocket.connect. */
  connect(to: { hostname: string; port: number } | null): void {
    const h = this.#h;
    const name = new Uint8Array(new ArrayBuffer(128));
    const dv = new DataView(name.buffer);
    let len = 16;
    let peer: { ipv4: boolean } | null = null;
    if (to) {
      const dest = destination(to.hostname, h.ipv6);
      len = encodeSockaddr(dv, 0, { hostname: dest.hostname, port: to.port }, P.families);
      peer = { ipv4: dest.ipv4 };
    } else if (P.os === "darwin") {
      name[0] = 16; // sa_len; sa_family AF_UNSPEC (0) dissolves the association
    }
    if (h.l.c.connect(h.fd, name.subarray(0, len), len) !== 0) {
      const errno = h.l.errno();
      // Dissolving the association of an IPv6 socket may report EAFNOSUPPORT: it is dissolved all the same.
      if (to || errno !== 97) throw errnoFailure(errno, "connect");
    }
    this.peer = peer;
    // Linux unbinds a socket whose port the system chose when it is disconnected: bind it again to the
    // address it had, so that `addr` stays true and datagrams to it keep arriving.
    if (!to && h.boundPort() === 0) {
      const n = encodeSockaddr(dv, 0, { hostname: h.addr.hostname, port: h.addr.port }, P.families);
      if (h.l.c.bind(h.fd, name.subarray(0, n), n) !== 0) throw errnoFailure(h.l.errno(), "bind");
    }
  }
}
