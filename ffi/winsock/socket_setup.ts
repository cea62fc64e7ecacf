/**
 * Calls a Windows socket makes once, at open: its type (for an adopted socket), WSARecvMsg's address
 * (an extension function the socket's provider gives), and SIO_UDP_CONNRESET turned off. Each uses
 * scratch memory of its own, larger than 64 bytes so that it never moves during the call.
 *
 * @module
 */
import { winsockFailure } from "../../errors.ts";
import {
  AF_INET,
  AF_INET6,
  SIO_GET_EXTENSION_FUNCTION_POINTER,
  SIO_UDP_CONNRESET,
  SO_TYPE,
  SOL_SOCKET,
  WSAID_WSARECVMSG,
} from "../../structs/constants.ts";
import { native } from "../native.ts";
import { WSARECVMSG } from "../tables/windows.ts";
import type { NativeFn } from "../types.ts";
import { fail, type Lib } from "./system.ts";

function scratch(): { u8: Uint8Array; dv: DataView } {
  const u8 = new Uint8Array(new ArrayBuffer(72));
  return { u8, dv: new DataView(u8.buffer) };
}

/**
 * The socket's type (SOCK_DGRAM, SOCK_RAW...), from getsockopt(SO_TYPE).
 *
 * @example
 * ```ts ignore
 * const type = socketType(l, handle);
 * ```
 */
export function socketType(l: Lib, handle: bigint): number {
  const { u8, dv } = scratch();
  dv.setInt32(4, 4, true);
  if (l.ws2.getsockopt(handle, SOL_SOCKET, SO_TYPE, u8.subarray(0, 4), u8.subarray(4, 8)) !== 0) {
    fail(l, "getsockopt(SO_TYPE)");
  }
  return dv.getInt32(0, true);
}

/**
 * WSARecvMsg's address, asked of the socket's provider once per address family and socket type.
 *
 * @example
 * ```ts ignore
 * const recvMsg = wsaRecvMsg(l, handle, false, SOCK_DGRAM);
 * ```
 */
export function wsaRecvMsg(l: Lib, handle: bigint, ipv6: boolean, type: number): NativeFn<typeof WSARECVMSG> {
  const key = `${ipv6 ? AF_INET6 : AF_INET}/${type}`;
  const cached = l.recvMsg.get(key);
  if (cached) return cached;
  const { u8, dv } = scratch();
  u8.set(WSAID_WSARECVMSG);
  const call = "WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)";
  const rc = l.ws2.WSAIoctl(
    handle,
    SIO_GET_EXTENSION_FUNCTION_POINTER,
    u8.subarray(0, 16),
    16,
    u8.subarray(16, 24),
    8,
    u8.subarray(24, 28),
    null,
    null,
  );
  if (rc !== 0) fail(l, call);
  const address = dv.getBigUint64(16, true);
  if (address === 0n) throw winsockFailure(10045, call);
  const fn = native.fromAddress(address, WSARECVMSG);
  l.recvMsg.set(key, fn);
  return fn;
}

/**
 * Turns SIO_UDP_CONNRESET off: one ICMP port-unreachable would otherwise fail the next receive with
 * WSAECONNRESET and end a server loop.
 *
 * @example
 * ```ts ignore
 * connResetOff(l, handle);
 * ```
 */
export function connResetOff(l: Lib, handle: bigint): void {
  const { u8, dv } = scratch();
  dv.setUint32(0, 0, true);
  if (l.ws2.WSAIoctl(handle, SIO_UDP_CONNRESET, u8.subarray(0, 4), 4, null, 0, u8.subarray(8, 12), null, null) !== 0) {
    fail(l, "WSAIoctl(SIO_UDP_CONNRESET)");
  }
  l.connResetOff++;
}

/**
 * setsockopt with the caller's bytes, copied first into memory that does not move; a refusal throws the
 * system's error, named by `label`.
 *
 * @example
 * ```ts ignore
 * setRawOption(l, handle, IPPROTO_IP, IP_TTL, new Uint8Array([64, 0, 0, 0]), "IP_TTL");
 * ```
 */
export function setRawOption(
  l: Lib,
  handle: bigint,
  level: number,
  name: number,
  value: Uint8Array,
  label: string,
): void {
  const bytes = new Uint8Array(new ArrayBuffer(Math.max(128, value.length)));
  bytes.set(value);
  if (l.ws2.setsockopt(handle, level, name, bytes.subarray(0, value.length), value.length) !== 0) {
    fail(l, `setsockopt(${label})`);
  }
}
