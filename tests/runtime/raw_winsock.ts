// Raw Winsock sockets made without the module's socket code, through the real ws2_32.dll, for tests
// that need a socket in a state listenDatagram never makes (unbound, TCP) or an option it does not set.
import { native } from "../../ffi/native.ts";
import { WS2_32 } from "../../ffi/symbols.ts";
import { WINSOCK_VERSION_2_2 } from "../../structs/mod.ts";

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
