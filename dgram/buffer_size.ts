/**
 * SO_RCVBUF / SO_SNDBUF for `recvmsg/dgram`'s `get/set...BufferSize`, through the connection where it has
 * the call, with node:dgram's `ERR_SOCKET_BUFFER_SIZE` (a SystemError naming `uv_recv_buffer_size` /
 * `uv_send_buffer_size`) otherwise.
 *
 * @module
 */
import type { DatagramConn } from "../mod.ts";
import { bufferSizeError, fromSocketError } from "./errors.ts";

/**
 * Sets (`size` > 0) or reads (`size` 0) a buffer size of `conn`; null `conn`: not bound yet (`EBADF`).
 * DatagramConn sets SO_SNDBUF (`setSendBufferSize`); the rest waits for the connection to have it
 * (`getSendBufferSize`, `getReceiveBufferSize`, `setReceiveBufferSize`): until then `ENOTSUP`.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "../mod.ts";
 * import { bufferSize } from "./buffer_size.ts";
 * bufferSize(listenDatagram({ hostname: "127.0.0.1" }), 1 << 20, "send");
 * ```
 */
export function bufferSize(conn: DatagramConn | null, size: number, which: "recv" | "send"): number {
  const syscall = `uv_${which}_buffer_size`;
  if (conn === null) throw bufferSizeError("EBADF", syscall, "bad file descriptor");
  const name = which === "recv" ? "ReceiveBufferSize" : "SendBufferSize";
  const call = `${size === 0 ? "get" : "set"}${name}`;
  const fn = (conn as unknown as Record<string, unknown>)[call] as ((n?: number) => number) | undefined;
  if (typeof fn !== "function") throw bufferSizeError("ENOTSUP", syscall, `DatagramConn has no ${call} yet`);
  try {
    return size === 0 ? fn.call(conn) : (fn.call(conn, size), size);
  } catch (e) {
    const code = (fromSocketError(e, syscall) as { code?: string }).code ?? "EINVAL";
    throw bufferSizeError(code, syscall, code === "EINVAL" ? "invalid argument" : String(e));
  }
}
