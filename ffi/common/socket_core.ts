/**
 * The steps both backends take in the same way, as plain functions over small records: the option
 * sequence at open, the bound address, the receive memory (control growth, where data lands), and the
 * first half of a send (checks, name, control records, data). Each backend keeps only its system calls.
 *
 * @module
 */
import type { NetAddr } from "../../message.ts";
import type { SocketAddress } from "../../structs/sockaddr.ts";
import { applyOptions, type OpenOption, type OpenOptionTable, type OptionRow } from "../tables/socket_options.ts";
import { native } from "../native.ts";
import { type OpenOptions, type Transmit, UDP } from "./backend.ts";
import { pointTo, TargetAddress } from "./receive_target.ts";
import { type SendSlot, writeControl, writeName } from "./send_memo.ts";

/** How a backend sets an int option: throws its named SocketError, or (`optional`) returns false. */
export interface OptionSetter {
  set(level: number, name: number, value: number, label: string): void;
  trySet(level: number, name: number, value: number): boolean;
}

/**
 * Sets every option a socket's `options` ask for at open, in order: IPV6_V6ONLY (a new UDP socket on
 * IPv6 only: Linux refuses it on raw sockets), address and port sharing, SO_BROADCAST, SO_RCVBUF, then
 * the receive rows (packet info, hop limit...; optional rows where the stack may refuse them). Returns
 * the families the socket carries and the control sizes its records need.
 *
 * @example
 * ```ts ignore
 * const c = configure(setter, options, ipv6, existing, LINUX_OPEN, LINUX_OPTIONS);
 * ```
 */
export function configure(
  s: OptionSetter,
  options: OpenOptions,
  ipv6: boolean,
  adopted: boolean,
  open: OpenOptionTable,
  rows: readonly OptionRow[],
): { families: { readonly ipv4: boolean; readonly ipv6: boolean }; defaultControl: number; required: number } {
  const udp = options.protocol === UDP;
  const set = (o: OpenOption, value: number) => s.set(o.level, o.name, value, o.label);
  if (ipv6 && !adopted && udp) set(open.v6only, options.ipv6Only ? 1 : 0);
  if (open.reusePort === null) {
    // No SO_REUSEPORT (Windows): sharing a port is SO_REUSEADDR there (see ListenOptions.reusePort).
    if (options.reuseAddress || options.reusePort) set(open.reuseAddress, 1);
    // A server socket of ours is its port's alone: a later bind with SO_REUSEADDR cannot join or take it.
    else if (open.exclusive !== null && !adopted && udp) set(open.exclusive, 1);
  } else {
    if (options.reuseAddress) set(open.reuseAddress, 1);
    if (options.reusePort) set(open.reusePort, 1);
  }
  if (options.broadcast) set(open.broadcast, 1);
  if (options.receiveBufferSize !== undefined) set(open.receiveBuffer, options.receiveBufferSize);
  // A raw ICMPv6 socket carries no IPv4: only a UDP socket on :: is dual-stack.
  const dual = ipv6 && !options.ipv6Only && udp;
  const families = Object.freeze({ ipv4: !ipv6 || dual, ipv6 });
  // The contract: a dual-stack socket needs IP_PKTINFO too, or IPv4 datagrams may carry none.
  const c = applyOptions(rows, options, families, (r) => {
    if (r.optional) return s.trySet(r.level, r.name, r.value);
    s.set(r.level, r.name, r.value, r.label);
    return true;
  });
  return { families, defaultControl: c.defaultControl, required: c.required };
}

/**
 * The bound address as a frozen NetAddr; for a socket not bound yet (null), the unspecified address.
 *
 * @example
 * ```ts
 * import { boundAddress } from "./socket_core.ts";
 * console.log(boundAddress(null, true)); // { transport: "udp", hostname: "::", port: 0 }
 * ```
 */
export function boundAddress(a: SocketAddress | null, ipv6: boolean): NetAddr {
  return Object.freeze({ transport: "udp", hostname: a?.hostname ?? (ipv6 ? "::" : "0.0.0.0"), port: a?.port ?? 0 });
}

/** Large enough for any UDP payload (65,527 bytes over IPv6). */
export const DATA_CAPACITY = 65536;

/** A socket's receive memory: its own data buffer, a control buffer that grows, and where data lands now. */
export interface ReceiveMemory {
  readonly data: Uint8Array;
  readonly dataAddress: number;
  control: Uint8Array;
  readonly targetAddress: TargetAddress;
  /** Where the control pointer field is, in `view`: rewritten when the buffer grows. */
  readonly view: DataView;
  readonly controlField: number;
  /** Set by {@link chooseTarget}: the bytes the call may write, where, and whether into the caller's buffer. */
  capacity: number;
  base: number;
  direct: boolean;
}

/**
 * Receive memory with a 512-byte control buffer; `controlField` is where the control pointer sits in `view`.
 *
 * @example
 * ```ts ignore
 * const mem = receiveMemory(dv, AT.msg + MSG.msg_control.offset);
 * ```
 */
export function receiveMemory(view: DataView, controlField: number): ReceiveMemory {
  const data = new Uint8Array(new ArrayBuffer(DATA_CAPACITY));
  const m: ReceiveMemory = {
    data,
    dataAddress: native.addressOf(data),
    control: new Uint8Array(new ArrayBuffer(512)),
    targetAddress: new TargetAddress(),
    view,
    controlField,
    capacity: 0,
    base: 0,
    direct: false,
  };
  pointTo(view, controlField, m.control);
  return m;
}

/** Grows the control buffer to hold `size` bytes (only between calls: no receive is in progress on it). */
export function growControl(m: ReceiveMemory, size: number): void {
  if (size <= m.control.length) return;
  m.control = new Uint8Array(new ArrayBuffer(Math.max(size, 2 * m.control.length)));
  pointTo(m.view, m.controlField, m.control);
}

/**
 * Where a receive's data lands: straight in the caller's `target` when its memory cannot move, else in
 * the socket's own buffer; sets `capacity`, `base` and `direct`.
 */
export function chooseTarget(m: ReceiveMemory, target: Uint8Array | null): void {
  m.capacity = target ? Math.min(target.length, DATA_CAPACITY) : DATA_CAPACITY;
  const direct = target ? m.targetAddress.of(target) : 0;
  m.direct = direct !== 0;
  m.base = direct !== 0 ? direct : m.dataAddress;
}

/** A socket's send memory: one slot (name and control, with its memo) and a data copy. */
export interface SendMemory extends SendSlot {
  readonly data: Uint8Array;
  /** Set by {@link stageSend}. */
  nameLen: number;
  controlLen: number;
}

/**
 * The first half of every send: refuses a destination nothing can be sent to (UDP port 0) before any
 * system call, then writes the name (unless `t.to` is null: the connected peer, of family `peerIPv4`),
 * the control records and the data. Sets `nameLen` and `controlLen`.
 *
 * @example
 * ```ts ignore
 * stageSend(memory, t, this.peer?.ipv4 ?? null, udp, fail);
 * ```
 */
export function stageSend(
  m: SendMemory,
  t: Transmit,
  peerIPv4: boolean | null,
  udp: boolean,
  fail: (reason: "port 0" | "no peer", to: Transmit["to"]) => Error,
): void {
  const to = t.to;
  let ipv4: boolean;
  if (to) {
    if (to.port === 0 && udp) throw fail("port 0", to);
    m.nameLen = writeName(m, to);
    ipv4 = m.memo.ipv4;
  } else {
    if (peerIPv4 === null) throw fail("no peer", null);
    m.nameLen = 0;
    ipv4 = peerIPv4;
  }
  m.controlLen = writeControl(m, t, ipv4);
  m.data.set(t.data);
}

/**
 * The sentence of the error for a send to UDP port 0, which no system delivers.
 *
 * @example
 * ```ts
 * import { portZeroMessage } from "./socket_core.ts";
 * console.log(portZeroMessage({ hostname: "127.0.0.1", port: 0 }));
 * ```
 */
export function portZeroMessage(to: { readonly hostname: string } | null): string {
  return `UDP port 0 cannot be sent to (the destination was ${
    to ? to.hostname : "?"
  } port 0, as from a sender that used source port 0); only this datagram is refused`;
}
