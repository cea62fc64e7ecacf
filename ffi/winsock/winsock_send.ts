/**
 * Sends of the Windows backend: WSASendMsg of one datagram from memory the sender owns (name, control
 * records and data, rewritten only where they changed: the same memo as the POSIX sends), and connect.
 *
 * @module
 */
import { SocketError, winsockFailure } from "../../errors.ts";
import { encodeSockaddr, WINDOWS_FAMILIES } from "../../structs/sockaddr.ts";
import { WIN } from "../../structs/windows.ts";
import { destination, type Transmit } from "../common/backend.ts";
import { pointTo, setPointer } from "../common/receive_target.ts";
import { sendMemo } from "../common/send_memo.ts";
import { DATA_CAPACITY, portZeroMessage, type SendMemory, stageSend } from "../common/socket_core.ts";
import { native } from "../native.ts";
import { fail, type Lib } from "./system.ts";

const MSG = WIN.WSAMSG.fields;
const BUF = WIN.WSABUF.fields;
const SEND = { buf: 56, name: 72, sent: 100, control: 104, end: 232 } as const;
const WSAEWOULDBLOCK = 10035;
/** Winsock's answer to a send to port 0. */
const WSAEADDRNOTAVAIL = 10049;
const WSAEDESTADDRREQ = 10039;

/** The error of a send refused before any call: to UDP port 0, or without a destination on an unconnected socket. */
function refused(reason: "port 0" | "no peer", to: Transmit["to"]): SocketError {
  return reason === "port 0"
    ? new SocketError("WSAEADDRNOTAVAIL", WSAEADDRNOTAVAIL, "WSASendMsg", portZeroMessage(to))
    : winsockFailure(WSAEDESTADDRREQ, "WSASendMsg");
}

/** What the sender needs of its socket. */
export interface SendHost {
  readonly l: Lib;
  readonly handle: bigint;
  readonly ipv6: boolean;
  /** A UDP socket (raw sockets send to "port" 0). */
  readonly udp: boolean;
}

/** The send memory: the common slot and data, and the WSAMSG around them. */
interface WinsockSendMemory extends SendMemory {
  readonly dv: DataView;
  readonly msg: Uint8Array;
  readonly nameAddress: number;
  readonly sent: Uint8Array;
}

/**
 * One socket's sends.
 *
 * @example
 * ```ts ignore
 * new WinsockSender(socket).send({ data, to: { hostname: "127.0.0.1", port: 9 } });
 * ```
 */
export class WinsockSender {
  readonly #h: SendHost;
  #mem: WinsockSendMemory | null = null;
  /** The connected peer's family (which packet-info record a send carries), or null when not connected. */
  #peer: { ipv4: boolean } | null = null;

  constructor(host: SendHost) {
    this.#h = host;
  }

  /** Memory for sends, made on the first one: WSAMSG, WSABUF, name, control, sent count, and a data copy. */
  #memory(): WinsockSendMemory {
    if (this.#mem) return this.#mem;
    const arena = new ArrayBuffer(SEND.end);
    const u8 = new Uint8Array(arena);
    const dv = new DataView(arena);
    const data = new Uint8Array(new ArrayBuffer(DATA_CAPACITY));
    const control = u8.subarray(SEND.control, SEND.end);
    pointTo(dv, MSG.name.offset, u8.subarray(SEND.name));
    pointTo(dv, MSG.lpBuffers.offset, u8.subarray(SEND.buf));
    dv.setUint32(MSG.dwBufferCount.offset, 1, true);
    pointTo(dv, SEND.buf + BUF.buf.offset, data);
    pointTo(dv, MSG.Control.offset + BUF.buf.offset, control);
    return this.#mem = {
      memo: sendMemo(),
      name: new DataView(arena, SEND.name, WIN.SOCKADDR_IN6.size),
      control,
      families: WINDOWS_FAMILIES,
      socketIsIPv6: this.#h.ipv6,
      platform: "windows",
      data,
      nameLen: 0,
      controlLen: 0,
      dv,
      msg: u8.subarray(0, WIN.WSAMSG.size),
      nameAddress: native.addressOf(u8.subarray(SEND.name)),
      sent: u8.subarray(SEND.sent, SEND.sent + 4),
    };
  }

  /**
   * See BackendSocket.send. Segments are never cut by the system here (UDP_SEND_MSG_SIZE is not used:
   * Wine drops a send's control data, so it could not be tested), so `t.segmentSize` must be unset.
   */
  send(t: Transmit): number | null {
    const h = this.#h;
    const m = this.#memory();
    stageSend(m, t, this.#peer ? this.#peer.ipv4 : null, h.udp, refused);
    // A connected send names no address: name NULL and namelen 0.
    setPointer(m.dv, MSG.name.offset, t.to ? m.nameAddress : 0);
    m.dv.setInt32(MSG.namelen.offset, m.nameLen, true);
    m.dv.setUint32(SEND.buf + BUF.len.offset, t.data.length, true);
    m.dv.setUint32(MSG.Control.offset + BUF.len.offset, m.controlLen, true);
    m.dv.setUint32(MSG.dwFlags.offset, 0, true);
    if (h.l.ws2.WSASendMsg(h.handle, m.msg, 0, m.sent, null, null) !== 0) {
      const code = h.l.ws2.WSAGetLastError();
      if (code === WSAEWOULDBLOCK) return null;
      // WSAENOBUFS would be a full buffer for a while too; Winsock reports a full UDP buffer as WOULDBLOCK.
      throw winsockFailure(code, "WSASendMsg");
    }
    return m.dv.getUint32(SEND.sent, true);
  }

  /** See BackendSocket.connect. */
  connect(to: { hostname: string; port: number } | null): void {
    const h = this.#h;
    const name = new Uint8Array(new ArrayBuffer(128));
    const dv = new DataView(name.buffer);
    let len: number;
    let peer: { ipv4: boolean } | null = null;
    if (to) {
      const dest = destination(to.hostname, h.ipv6);
      len = encodeSockaddr(dv, 0, { hostname: dest.hostname, port: to.port });
      peer = { ipv4: dest.ipv4 };
    } else {
      // An address of zeros of the socket's own family dissolves the association (Winsock's connect).
      len = encodeSockaddr(dv, 0, { hostname: h.ipv6 ? "::" : "0.0.0.0", port: 0 });
    }
    if (h.l.ws2.connect(h.handle, name.subarray(0, len), len) !== 0) fail(h.l, "connect");
    this.#peer = peer;
  }
}
