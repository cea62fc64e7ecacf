// Raw Winsock sockets made without the module's socket code, through the real ws2_32.dll, for tests
// that need a socket in a state listenDatagram never makes (unbound, TCP) or an option it does not set.
import { native } from "../../ffi/native.ts";
import { WS2_32, WSARECVMSG } from "../../ffi/tables/windows.ts";
import type { NativeFn } from "../../ffi/types.ts";
import {
  decodeSockaddr,
  encodeSockaddr,
  FIONBIO,
  SIO_GET_EXTENSION_FUNCTION_POINTER,
  WINSOCK_VERSION_2_2,
  WSAID_WSARECVMSG,
} from "../../structs/mod.ts";

let ws2: ReturnType<typeof open> | undefined;
function open() {
  const lib = native.open("ws2_32.dll", WS2_32);
  // Balanced by nothing on purpose: the test process keeps Winsock up until it exits.
  lib.WSAStartup(WINSOCK_VERSION_2_2, new Uint8Array(new ArrayBuffer(512)));
  return lib;
}

/** A new socket (not bound); throws with the Winsock code when WSASocketW fails. */
export function rawSocket(af: number, type: number, protocol: number): bigint {
  ws2 ??= open();
  const s = ws2.WSASocketW(af, type, protocol, null, 0, 0x01 /* WSA_FLAG_OVERLAPPED */);
  if (s === 0xffffffffffffffffn) throw new Error(`WSASocketW failed: ${ws2.WSAGetLastError()}`);
  return s;
}

/** setsockopt with an int value. */
export function setIntOption(s: bigint, level: number, name: number, value: number): void {
  ws2 ??= open();
  const v = new Uint8Array(new ArrayBuffer(128)).subarray(0, 4);
  new DataView(v.buffer).setInt32(0, value, true);
  if (ws2.setsockopt(s, level, name, v, 4) !== 0) throw new Error(`setsockopt failed: ${ws2.WSAGetLastError()}`);
}

/** closesocket; returns the Winsock error, or 0. */
export function closeRaw(s: bigint): number {
  ws2 ??= open();
  return ws2.closesocket(s) === 0 ? 0 : ws2.WSAGetLastError();
}

/** bind to a numeric address; returns the port bound. */
export function bindRaw(s: bigint, hostname: string, port = 0): number {
  ws2 ??= open();
  const name = new Uint8Array(new ArrayBuffer(128));
  const view = new DataView(name.buffer);
  const len = encodeSockaddr(view, 0, { hostname, port });
  if (ws2.bind(s, name.subarray(0, len), len) !== 0) throw new Error(`bind failed: ${ws2.WSAGetLastError()}`);
  const lenOut = new Uint8Array(new ArrayBuffer(72)).subarray(0, 4);
  new DataView(lenOut.buffer).setInt32(0, 128, true);
  if (ws2.getsockname(s, name, lenOut) !== 0) throw new Error(`getsockname failed: ${ws2.WSAGetLastError()}`);
  return decodeSockaddr(view, 0, 128)!.port;
}

/** Makes the socket non-blocking. */
export function setNonBlocking(s: bigint): void {
  ws2 ??= open();
  const v = new Uint8Array(new ArrayBuffer(72)).subarray(0, 4);
  new DataView(v.buffer).setUint32(0, 1, true);
  if (ws2.ioctlsocket(s, FIONBIO, v) !== 0) throw new Error(`ioctlsocket failed: ${ws2.WSAGetLastError()}`);
}

/** WSARecvMsg's address for this socket, through WSAIoctl, bound as a function; and WSAGetLastError. */
export function rawWSARecvMsg(s: bigint): { call: NativeFn<typeof WSARECVMSG>; lastError: () => number } {
  ws2 ??= open();
  const mem = new Uint8Array(new ArrayBuffer(128));
  mem.set(WSAID_WSARECVMSG);
  if (
    ws2.WSAIoctl(
      s,
      SIO_GET_EXTENSION_FUNCTION_POINTER,
      mem.subarray(0, 16),
      16,
      mem.subarray(16, 24),
      8,
      mem.subarray(24, 28),
      null,
      null,
    ) !== 0
  ) {
    throw new Error(`WSAIoctl failed: ${ws2.WSAGetLastError()}`);
  }
  const lib = ws2;
  return {
    call: native.fromAddress(new DataView(mem.buffer).getBigUint64(16, true), WSARECVMSG),
    lastError: () => lib.WSAGetLastError(),
  };
}

/** getsockopt with an int value. */
export function getIntOption(s: bigint, level: number, name: number): number {
  ws2 ??= open();
  const v = new Uint8Array(new ArrayBuffer(128));
  const dv = new DataView(v.buffer);
  dv.setInt32(8, 4, true);
  if (ws2.getsockopt(s, level, name, v.subarray(0, 4), v.subarray(8, 12)) !== 0) {
    throw new Error(`getsockopt failed: ${ws2.WSAGetLastError()}`);
  }
  return dv.getInt32(0, true);
}

/** bind that returns the Winsock error instead of throwing (0 when it bound). */
export function tryBindRaw(s: bigint, hostname: string, port: number): number {
  ws2 ??= open();
  const name = new Uint8Array(new ArrayBuffer(128));
  const len = encodeSockaddr(new DataView(name.buffer), 0, { hostname, port });
  return ws2.bind(s, name.subarray(0, len), len) === 0 ? 0 : ws2.WSAGetLastError();
}
