/**
 * What a receive returns, and the options a socket and a receive take. Shared by every backend.
 *
 * @module
 */
import { type CmsgFormat, type ControlMessage, visitControlMessages } from "./structs/cmsg.ts";

/**
 * A remote or bound address, in the shape of `Deno.NetAddr`.
 *
 * IPv4 datagrams that reach a dual-stack IPv6 socket are reported in plain IPv4 form
 * (`"127.0.0.1"`, not `"::ffff:127.0.0.1"`), in `remoteAddr` and `localAddr` alike, so that the
 * same peer looks the same whichever socket it reached. Sending to a plain IPv4 address from a
 * dual-stack socket works.
 */
export interface NetAddr {
  /** Always `"udp"`, as in `Deno.NetAddr`. */
  readonly transport: "udp";
  /** The numeric address; IPv4 in plain form even on a dual-stack socket. */
  readonly hostname: string;
  /** The UDP port. */
  readonly port: number;
}

/** The local address a datagram was sent to, and the interface it arrived on (IP_PKTINFO / IPV6_PKTINFO). */
export interface LocalAddr {
  /** The local address the datagram was sent to (IP_PKTINFO / IPV6_PKTINFO). */
  readonly hostname: string;
  /** The index of the interface it arrived on. */
  readonly interfaceIndex: number;
}

/** One received datagram with its ancillary data. */
export interface DatagramMessage {
  /**
   * The bytes received: a fresh copy, or a view into the caller's `buffer` when one was given. Fresh copies
   * under 4 KiB share 8 KiB buffers, as Node's pooled `Buffer`s do: `data.buffer` may hold other datagrams
   * too (nothing writes into it again), so read it through `data.byteOffset`, and transfer `data.slice()`
   * rather than `data.buffer` to a worker.
   */
  readonly data: Uint8Array;
  /** The sender's address and port. */
  readonly remoteAddr: NetAddr;
  /** Where the datagram was sent to; null when packet info is off or the platform gave none. */
  readonly localAddr: LocalAddr | null;
  /** The datagram was larger than the buffer: `data` holds its first bytes, the rest is lost (MSG_TRUNC / WSAEMSGSIZE). */
  readonly truncated: boolean;
  /** The control data did not fit: some ancillary data is missing (MSG_CTRUNC). */
  readonly controlTruncated: boolean;
  /** Received as a link-layer broadcast (MSG_BCAST). */
  readonly broadcast: boolean;
  /** Received as a link-layer multicast (MSG_MCAST). */
  readonly multicast: boolean;
  /** The IPv4 TTL or IPv6 hop limit the datagram arrived with, when `hopLimit` was asked for and given. */
  readonly hopLimit?: number;
  /** The datagram's two ECN bits (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE), when the platform reports them. */
  readonly ecn?: 0 | 1 | 2 | 3;
  /** Every control message as received, decoded ones too; unknown ones kept raw. Data are copies. */
  readonly control: readonly ControlMessage[];
  /**
   * The raw output flags of the call, in this system's own numbering: test them with the exported
   * `MSG_TRUNC`, `MSG_CTRUNC`, `MSG_BCAST`, `MSG_MCAST`, which hold this system's values (MSG_BCAST and
   * MSG_MCAST are 0 on Linux and macOS, which have no such flags). `truncated`, `controlTruncated`,
   * `broadcast` and `multicast` say the same on every system.
   */
  readonly flags: number;
  /**
   * Set when the system coalesced several datagrams from one sender into this message (only with
   * `coalesce: true`): each `segmentSize` bytes of `data` is one datagram, the last one may be shorter.
   * {@link splitSegments} cuts them apart.
   */
  readonly segmentSize?: number;
  /**
   * With `timestamps: true`: when the kernel received the datagram, in nanoseconds since the epoch
   * (Linux SO_TIMESTAMPNS; macOS SO_TIMESTAMP, microsecond precision). Not on Windows: its SO_TIMESTAMP
   * counts performance-counter ticks.
   */
  readonly timestamp?: bigint;
}

/** Options of {@link listenDatagram}. */
export interface ListenOptions {
  /**
   * `"udp"`, as `Deno.listenDatagram` takes it (the transport is always UDP here; other protocols go by
   * `protocol`). Any other value is a TypeError.
   */
  transport?: "udp";
  /**
   * `Deno.listenDatagram`'s name for {@link multicastLoopback}: whether this socket's multicast sends loop
   * back to members on this host. Left out, the system's default stays (on; Deno turns it off).
   */
  loopback?: boolean;
  /**
   * The address to bind; default `"0.0.0.0"`. A host name (`"localhost"`) is looked up at once with the
   * system's resolver (getaddrinfo), as `Deno.listenDatagram` looks it up, and the first address it gives
   * is bound (`conn.addr` shows it); a name it does not know throws a `SocketError` (`EAI_NONAME`,
   * `WSAHOST_NOT_FOUND`). IPv4 dotted quads and IPv6 text never reach the resolver; other forms that read as
   * numbers to it (`127.1`) are looked up like names, and it answers them as Deno's lookup does.
   */
  hostname?: string;
  /** Default 0: the system picks a free port. */
  port?: number;
  /** For IPv6 addresses: refuse IPv4 datagrams. Default false, which makes `::` a dual-stack socket. */
  ipv6Only?: boolean;
  /** Report the local address and interface of each datagram. Default true. */
  packetInfo?: boolean;
  /** Report the TTL / hop limit of each datagram. Default false. */
  hopLimit?: boolean;
  /**
   * SO_REUSEADDR. Default false. Without it, on Windows the socket is bound with SO_EXCLUSIVEADDRUSE,
   * so that no other process can bind the same port (with SO_REUSEADDR, Windows would let a later
   * socket join or take over the port). On Linux and macOS it lets a new socket bind a port a closed
   * one still holds; it does not share a port between two live UDP sockets unless both ask for it.
   */
  reuseAddress?: boolean;
  /**
   * Windows: report an ICMP port-unreachable reply to an earlier send as WSAECONNRESET on the next
   * receive. Default false: such sockets are opened with `SIO_UDP_CONNRESET` off, because one
   * unreachable client would otherwise end a server's `messages()` loop. Linux and macOS never report it
   * on an unconnected socket, so there this option changes nothing.
   */
  reportUnreachable?: boolean;
  /**
   * Share the port with other sockets that ask for it too, in this process or another: SO_REUSEPORT on
   * Linux and macOS, so that a responder on 5353 can start beside another one (Linux then hands each
   * unicast datagram to one of them, and multicast to all). Windows has no SO_REUSEPORT: there it sets
   * SO_REUSEADDR, which lets any later socket with SO_REUSEADDR bind the same port too, and which
   * socket receives unicast is not defined. Default false.
   */
  reusePort?: boolean;
  /** Don't fragment: a send larger than the path MTU fails with EMSGSIZE (see `setDontFragment`). Default false. */
  dontFragment?: boolean;
  /** SO_SNDBUF in bytes; default the system's. */
  sendBufferSize?: number;
  /** The interface multicast sends leave by, by index (see `setMulticastInterface`). */
  multicastInterface?: number;
  /** Whether multicast sends loop back to members on this host (see `setMulticastLoopback`). */
  multicastLoopback?: boolean;
  /** The TTL / hop limit of multicast sends, 0 to 255 (see `setMulticastHopLimit`). */
  multicastHopLimit?: number;
  /**
   * SO_BROADCAST: allow sending to broadcast addresses. Default true for UDP, as `Deno.listenDatagram`
   * has it (node:dgram's default is off: `recvmsg/dgram` passes false until `setBroadcast(true)`); false
   * for other protocols and for a socket `wrapSocket` adopts.
   */
  broadcast?: boolean;
  /** SO_RCVBUF in bytes; default the system's. */
  receiveBufferSize?: number;
  /** Report when the kernel received each datagram (`msg.timestamp`, ns since the epoch; Linux and macOS). Default false. */
  timestamps?: boolean;
  /**
   * Report each datagram's ECN codepoint (`msg.ecn`, 0 to 3: Not-ECT, ECT(1), ECT(0), CE): IP_RECVTOS /
   * IPV6_RECVTCLASS on Linux and macOS, IP_RECVECN / IPV6_RECVECN on Windows where offered (Windows 10
   * 2004 and later; Wine refuses it, and then `ecn` stays undefined). Default false.
   */
  ecn?: boolean;
  /**
   * Receive coalescing, where the system offers it: several datagrams of one sender may arrive as one
   * message with `segmentSize` set (Linux UDP_GRO, which loopback applies to UDP_SEGMENT sends; Windows
   * UDP_RECV_MAX_COALESCED_SIZE with UDP_COALESCED_INFO, where the NIC does URO). Fewer, larger receives
   * for a bulk sender such as a QUIC peer. Default false; where the system lacks it (macOS, Wine),
   * datagrams simply arrive one by one.
   */
  coalesce?: boolean;
  /**
   * Linux: how many datagrams one system call may take ahead of the receive calls (recvmmsg), 0 to 64.
   * When a receive finds datagrams queued, up to this many are read at once and the following
   * `receiveMsg`, `receive`, `messages()`, `tryReceiveMsg` and batch calls are served from them, in
   * order, each as its own options ask (a smaller buffer still truncates, a smaller `controlSize` still
   * cuts the control data, `peek` still leaves the datagram): fewer system calls under load. Datagrams
   * read ahead and not yet delivered when the socket is closed are dropped with it, like those the
   * kernel still held. 0 or 1 turns it off. Default 32. Elsewhere (no recvmmsg) it changes nothing.
   */
  readAhead?: number;
  /**
   * Linux: keep the ICMP errors that this socket's sends draw (port or host unreachable, fragmentation
   * needed, time exceeded...) and the local ones (a send larger than the path MTU), each with where it came
   * from and what it concerned, and read them with `conn.receiveError()`, `tryReceiveError()` or
   * `errors()` as {@link QueuedError} records: IP_RECVERR (and IPV6_RECVERR on an IPv6 socket). With it
   * on, no receive or send fails because of such an error (the system would otherwise fail the next
   * call once with ECONNREFUSED...): the error is a record instead. Default false. Elsewhere a
   * TypeError: Windows and macOS keep no error queue.
   */
  receiveErrors?: boolean;
  /**
   * Hold plain sends and send them together: `sendMsg` (without `segmentSize` or `signal`) copies the
   * datagram and resolves at once; the held datagrams go in one system call (sendmmsg on Linux; one
   * send each elsewhere) when 64 are held, when the event loop next turns, before any other send call,
   * and at `close()`. For a server answering a flood with `for await (const m of conn.messages()) await
   * conn.sendMsg(...)` it saves a system call per answer. What it gives up: a datagram the system refuses
   * (no route, EMSGSIZE, a source address not of this host...) is reported by the *next* send call, which
   * rejects with a `SocketError` naming that datagram's address and sends nothing, as the kernel reports
   * an ICMP error of an earlier datagram; and `close()` drops what the send buffer cannot take — await
   * `conn.flushSends()` first. Default false: each `sendMsg` settles when its datagram reached the system.
   */
  batchSends?: boolean;
  /**
   * What the socket carries: `"udp"` (the default), `"icmp"` (an IPv4 address), `"icmpv6"` (an IPv6
   * address), or an IP protocol number for a raw socket. ICMP sockets are what a ping or traceroute
   * tool needs, with the same packet info and hop limit per message. `port` is then the ICMP echo
   * identifier of a Linux/macOS ICMP datagram socket, and ignored by a raw socket.
   */
  protocol?: "udp" | "icmp" | "icmpv6" | number;
  /**
   * For `protocol` other than UDP. `true`: a raw socket (SOCK_RAW; needs root or CAP_NET_RAW on Linux,
   * an administrator on Windows); an IPv4 raw socket receives each packet with its IP header first,
   * sends ICMP as given (the checksum is the sender's), and sees every ICMP packet the host receives.
   * `false`: an ICMP datagram socket (Linux when net.ipv4.ping_group_range admits the user, macOS):
   * no IP header, the kernel sets the echo identifier and checksum and delivers only this socket's
   * replies. Unset: the datagram socket where the system allows it, else a raw one; `conn.raw` says
   * which it got. Windows has only raw sockets.
   */
  raw?: boolean;
}

/** Options of one receive. */
export interface ReceiveOptions {
  /**
   * Receive into this buffer; `data` is then a view into it. Its length is the most that is read. Receives
   * into one buffer may give the same view object again when their datagrams cover the same bytes (two
   * messages then show the later datagram, as two views of the buffer would): no view is made per datagram.
   */
  buffer?: Uint8Array;
  /** Leave the datagram queued (MSG_PEEK). */
  peek?: boolean;
  /** Input flags as a number; only MSG_PEEK (2) is allowed. */
  flags?: number;
  /** Abort this receive; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Bytes for control data; default enough for what the socket asks for. At least the room of the
   * largest single record the socket asks for (a smaller size is a RangeError that names it): a size
   * between that and the default keeps the records that fit and sets `controlTruncated`.
   */
  controlSize?: number;
  /**
   * A message an earlier receive on this connection returned, to be overwritten with this datagram and
   * returned again instead of a new object: with `buffer`, a receive loop then allocates nothing per
   * datagram. Everything the old message held (its `data` view included) then describes the new one.
   * `null` makes a new message, so `m = conn.tryReceiveMsg({ buffer, reuse: m })` works from the start.
   */
  reuse?: DatagramMessage | null;
}

/** Options of a batch receive (`receiveMsgs`, `tryReceiveMsgs`). */
export interface BatchOptions {
  /** Cut into `count` equal segments; message `i` is received into segment `i`. */
  buffer?: Uint8Array;
  /** Bytes for control data per message; default enough for what the socket asks for (least as for a receive). */
  controlSize?: number;
  /** Aborts the wait for the first datagram (`receiveMsgs`). */
  signal?: AbortSignal;
  /** The array an earlier batch returned: its messages are overwritten, and it is returned again. */
  reuse?: DatagramMessage[] | null;
}

/** Options of a send. */
export interface SendOptions {
  /**
   * Send from this local address and/or out of this interface (IP_PKTINFO / IPV6_PKTINFO). A received
   * message's `localAddr` fits as it is. The address must be of the destination's family.
   */
  localAddr?: { hostname?: string; interfaceIndex?: number };
  /** The TTL / hop limit of this datagram, 1 to 255. */
  hopLimit?: number;
  /**
   * The ECN codepoint of this datagram, 0 to 3 (Not-ECT, ECT(1), ECT(0), CE): IP_TOS / IPV6_TCLASS on
   * Linux and macOS, IP_ECN / IPV6_ECN on Windows. (Wine drops every control record of a send.)
   */
  ecn?: 0 | 1 | 2 | 3;
  /** The DSCP of this datagram, 0 to 63 (Linux and macOS; Windows sets DSCP only through its QoS API). */
  dscp?: number;
  /**
   * `sendMsg` and `trySendMsg`: send `data` as many datagrams of this many bytes each (the last may be
   * shorter), 1 to 65535, in order, with the same destination and options. On Linux the kernel cuts
   * the buffer (UDP_SEGMENT, up to 64 datagrams per call): one system call for all of them. Where the
   * system lacks it or refuses it (macOS, Windows here, or a Linux driver that answers EIO / EINVAL,
   * after which the socket stops asking), they go as a batch. Resolves to the bytes of all of them.
   * Data no longer than `segmentSize` is one ordinary datagram.
   */
  segmentSize?: number;
  /**
   * `sendMsg` only: aborts the send while it waits for room in the send buffer (it rejects with
   * `signal.reason`, and the datagram is not sent). A send already made cannot be taken back.
   */
  signal?: AbortSignal;
}

const NO_CONTROL: readonly ControlMessage[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);
const NO_ADDR: NetAddr = Object.freeze({ transport: "udp", hostname: "", port: 0 });

/** A reused message's own memory for its control bytes, and the same bytes as 32-bit words. */
interface ControlStore {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

/** What a message keeps only once it is reused. */
interface ReuseState {
  /** The last batch check that met the message (see {@link ReceivedMessage._claim}). */
  claimed: number;
  store: ControlStore | null;
}

/**
 * @internal Everything {@link ReceivedMessage._set} writes into a message: its public fields, and where
 * its control bytes are kept (`length` bytes at `at` in `chunk`, walked with `format`).
 */
export interface MessageFields {
  data: Uint8Array;
  remoteAddr: NetAddr;
  localAddr: LocalAddr | null;
  flags: number;
  truncated: boolean;
  controlTruncated: boolean;
  broadcast: boolean;
  multicast: boolean;
  hopLimit: number | undefined;
  ecn: number | undefined;
  chunk: Uint8Array | null;
  at: number;
  length: number;
  format: CmsgFormat;
  segmentSize: number | undefined;
  timestamp: bigint | undefined;
}

/**
 * A received datagram. `control` is built from a copy of the control bytes only when first read, so a
 * receiver that wants just the decoded fields pays for no per-record objects. A receive with
 * `reuse` overwrites an earlier one in place instead of making a new one.
 */
export class ReceivedMessage implements DatagramMessage {
  data: Uint8Array = EMPTY;
  remoteAddr: NetAddr = NO_ADDR;
  localAddr: LocalAddr | null = null;
  truncated = false;
  controlTruncated = false;
  broadcast = false;
  multicast = false;
  hopLimit?: number = undefined;
  ecn?: 0 | 1 | 2 | 3 = undefined;
  flags = 0;
  segmentSize?: number = undefined;
  timestamp?: bigint = undefined;
  /**
   * The control bytes' chunk until `control` is first read (see {@link _keepControl}), then what it
   * returns: one field for both, as every message carries it (a field is 8 bytes of each message).
   */
  #control: Uint8Array | readonly ControlMessage[] = NO_CONTROL;
  #at = 0;
  #length = 0;
  #format: CmsgFormat | null = null;
  /** What only a reused message needs, made the first time it is: a fresh message does without. */
  #reuse: ReuseState | null = null;

  /** @internal Whether `x` is a message a receive made, and so can be reused: a brand check, not instanceof
   * (an object made from the prototype has none of the fields a receive writes). */
  static _isOne(x: unknown): x is ReceivedMessage {
    return typeof x === "object" && x !== null && #reuse in x;
  }

  /**
   * @internal Marks this message as met by the batch check numbered `check` (each check takes a new
   * number); false when that check met it already, i.e. a reuse array holds it twice. No set per batch.
   */
  _claim(check: number): boolean {
    const state = this.#reuse ??= { claimed: 0, store: null };
    if (state.claimed === check) return false;
    state.claimed = check;
    return true;
  }

  /**
   * @internal Memory of this message's own for the control bytes of its next datagram, when it is
   * reused: a reuse loop then copies into the same bytes each time instead of filling shared chunks.
   * `words`: the same bytes as 32-bit words, for copies four bytes at a time.
   */
  _controlStore(length: number): ControlStore {
    const state = this.#reuse ??= { claimed: 0, store: null };
    if (state.store === null || state.store.bytes.length < length) {
      const buffer = new ArrayBuffer(Math.max((length + 7) & ~7, 256));
      state.store = { bytes: new Uint8Array(buffer), words: new Int32Array(buffer) };
    }
    return state.store;
  }

  /**
   * @internal Made and filled by the backends (ffi/common/message_builder.ts). The control bytes are
   * `f.length` bytes at `f.at` in `f.chunk`, which nothing overwrites (see ffi/common/control_archive.ts);
   * `chunk` null for none. Every field is set, so a reused message keeps nothing of its previous datagram.
   * `f` is read during the call only: a backend may pass the same record for every datagram.
   */
  _set(f: MessageFields): this {
    this.data = f.data;
    this.remoteAddr = f.remoteAddr;
    this.localAddr = f.localAddr;
    this.flags = f.flags;
    this.truncated = f.truncated;
    this.controlTruncated = f.controlTruncated;
    this.broadcast = f.broadcast;
    this.multicast = f.multicast;
    this.hopLimit = f.hopLimit;
    this.ecn = f.ecn as 0 | 1 | 2 | 3 | undefined; // two bits (`& 3`) as the decoders read them
    this.segmentSize = f.segmentSize;
    this.timestamp = f.timestamp;
    return this._keepControl(f.chunk, f.at, f.length, f.format);
  }

  /**
   * @internal The control bytes of this message's datagram: `length` bytes at `at` in `chunk` (null for
   * none), which nothing overwrites, walked with `format` when `control` is first read. The backends set
   * the public fields themselves and then call this, instead of filling a {@link MessageFields} record.
   */
  _keepControl(chunk: Uint8Array | null, at: number, length: number, format: CmsgFormat): this {
    this.#control = chunk === null || length === 0 ? NO_CONTROL : chunk;
    this.#at = at;
    this.#length = length;
    this.#format = format;
    return this;
  }

  /** Every control message as received, walked with the platform's header layout. */
  get control(): readonly ControlMessage[] {
    const kept = this.#control;
    if (!(kept instanceof Uint8Array)) return kept;
    if (this.#format === null) return this.#control = NO_CONTROL;
    const raw = kept.subarray(this.#at, this.#at + this.#length);
    const out: ControlMessage[] = [];
    visitControlMessages(
      new DataView(raw.buffer, raw.byteOffset, raw.byteLength),
      raw.length,
      (level, type, at, len) => {
        out.push({ level, type, data: raw.slice(at, at + len) });
      },
      this.#format,
    );
    return this.#control = out;
  }
}

/**
 * The datagrams of a message: the one datagram, or, for a coalesced receive (`segmentSize` set), each
 * `segmentSize` bytes of `data` as a view (the last may be shorter).
 *
 * @example
 * ```ts
 * import { listenDatagram, splitSegments } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1", coalesce: true });
 * const msg = await conn.receiveMsg();
 * for (const datagram of splitSegments(msg)) console.log(datagram.length);
 * ```
 */
export function splitSegments(message: DatagramMessage): Uint8Array[] {
  const { data, segmentSize } = message;
  if (segmentSize === undefined || segmentSize <= 0 || segmentSize >= data.length) return [data];
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += segmentSize) {
    out.push(data.subarray(at, Math.min(at + segmentSize, data.length)));
  }
  return out;
}

/**
 * One error of a socket's error queue (`receiveErrors: true`, Linux): an ICMP message that a send drew
 * from a router or the destination host, or an error the local stack met (a send larger than the path
 * MTU).
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
 * await conn.send(new Uint8Array(8), { transport: "udp", hostname: "127.0.0.1", port: 9 }); // nobody listens
 * const e = await conn.receiveError({ signal: AbortSignal.timeout(1000) });
 * console.log(e.code, e.origin, e.icmpType, e.icmpCode, e.offender?.hostname, e.destination?.port);
 * // "ECONNREFUSED" "icmp" 3 3 "127.0.0.1" 9
 * ```
 */
export interface QueuedError {
  /** The errno name the error stands for, e.g. `"ECONNREFUSED"`, `"EHOSTUNREACH"`, `"EMSGSIZE"`. */
  readonly code: string;
  /** Its number, e.g. 111. */
  readonly errno: number;
  /** A sentence for it. */
  readonly message: string;
  /**
   * Where it came from: `"icmp"` (an ICMP message), `"icmp6"` (ICMPv6), `"local"` (this host's stack,
   * e.g. EMSGSIZE from a send larger than the path MTU), `"none"`, or the number the system gave.
   */
  readonly origin: "icmp" | "icmp6" | "local" | "none" | number;
  /** The ICMP type (3 destination unreachable, 11 time exceeded; ICMPv6: 1, 2 packet too big, 3); 0 for a local error. */
  readonly icmpType: number;
  /** The ICMP code (for type 3: 3 port unreachable, 1 host unreachable, 4 fragmentation needed...). */
  readonly icmpCode: number;
  /** ee_info: the path MTU for "fragmentation needed" / "packet too big" and a local EMSGSIZE; else 0. */
  readonly info: number;
  /** ee_data (0 for the errors above). */
  readonly data: number;
  /**
   * Who sent the ICMP message (SO_EE_OFFENDER): the router or host that could not deliver; null for a
   * local error. IPv4 in plain form on a dual-stack socket.
   */
  readonly offender: NetAddr | null;
  /** Where the datagram that drew the error was sent (its destination address and port), when the system says. */
  readonly destination: NetAddr | null;
  /**
   * The first bytes of that datagram's data, as the ICMP message quoted them (a copy; empty when none
   * were quoted).
   */
  readonly payload: Uint8Array<ArrayBuffer>;
  /** The quoted bytes were more than fit in the copy (`payload` holds the first 1,024). */
  readonly truncated: boolean;
}
