/**
 * The error-queue part of the connection's surface (`receiveErrors: true`, Linux): the methods that read
 * the ICMP error records, over an ErrorReaders. DatagramConn extends it.
 *
 * @module
 */
import type { BackendSocket } from "../ffi/common/backend.ts";
import type { InterfaceLookup } from "../ffi/select.ts";
import type { QueuedError } from "../message.ts";
import { ErrorReaders } from "./error_queue.ts";
import { SocketSettings } from "./socket_settings.ts";

/**
 * The error-queue methods of {@link DatagramConn}.
 *
 * @example
 * ```ts
 * import { listenDatagram } from "@recvmsg/recvmsg";
 * using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
 * console.log(conn.tryReceiveError()); // null
 * ```
 */
export class ErrorQueueReader extends SocketSettings {
  readonly #errors: ErrorReaders;

  /** @internal Made by {@link DatagramConn}'s constructor. */
  constructor(socket: BackendSocket, interfaces: InterfaceLookup) {
    super(socket, interfaces);
    this.#errors = new ErrorReaders(socket, this);
  }

  /**
   * With `receiveErrors: true` (Linux): the oldest record of the socket's error queue, a {@link QueuedError},
   * at once or when one comes, in call order. Rejects with `signal.reason` on abort, SocketClosedError on
   * close, a TypeError on a socket opened without the option.
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
   * await conn.sendMsg(new Uint8Array(8), { hostname: "127.0.0.1", port: 9 });
   * const e = await conn.receiveError({ signal: AbortSignal.timeout(1000) });
   * console.log(e.code, e.icmpType, e.icmpCode, e.offender?.hostname); // "ECONNREFUSED" 3 3 "127.0.0.1"
   * ```
   */
  receiveError(options?: { signal?: AbortSignal }): Promise<QueuedError> {
    return this.#errors.receive(options, "receiveError");
  }

  /**
   * The oldest queued error record, or null when none is (or while `receiveError()` calls wait); never
   * waits. A TypeError on a socket opened without `receiveErrors: true`.
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * using conn = listenDatagram({ hostname: "127.0.0.1", receiveErrors: true });
   * for (let e = conn.tryReceiveError(); e; e = conn.tryReceiveError()) console.log(e.code, e.destination);
   * ```
   */
  tryReceiveError(): QueuedError | null {
    return this.#errors.tryReceive("tryReceiveError");
  }

  /**
   * Error records dropped so far: a receive or send that meets a queued ICMP error takes the system's
   * records and keeps the newest 64 for {@link receiveError}; older ones beyond are dropped and counted.
   * @example
   * ```ts ignore
   * console.log(conn.errorsDropped); // 0
   * ```
   */
  get errorsDropped(): number {
    return this.#errors.dropped;
  }

  /**
   * The error records, one by one as {@link receiveError} gives them, until the socket closes (the
   * iteration then ends) or `signal` aborts (it throws the reason).
   *
   * @example
   * ```ts
   * import { listenDatagram } from "@recvmsg/recvmsg";
   * const conn = listenDatagram({ hostname: "::", receiveErrors: true });
   * setTimeout(() => conn.close(), 100); // the loop ends when the socket closes
   * for await (const e of conn.errors()) console.log(e.destination, e.code, "says", e.offender?.hostname);
   * ```
   */
  errors(options?: { signal?: AbortSignal }): AsyncIterableIterator<QueuedError> {
    return this.#errors.iterate(options, "errors");
  }

  /** @internal The socket closed: waiting readers learn it. */
  protected errorsClosed(): void {
    this.#errors.close();
  }
}
