/**
 * The errors this module throws for system failures. Bad arguments are plain `TypeError` /
 * `RangeError` naming the parameter; an aborted receive rejects with the signal's reason (a
 * `DOMException` named `AbortError` by default).
 *
 * @module
 */
import { winsockError } from "./structs/winsock_errors.ts";

/**
 * The `Deno.errors` class each system code is, as Deno's own sockets throw it (Windows' `WSAE...` names
 * too, without `WSA`); a closed socket is `BadResource`. Only on Deno, where those classes exist.
 */
const DENO_CLASS: Record<string, string> = {
  EADDRINUSE: "AddrInUse",
  EADDRNOTAVAIL: "AddrNotAvailable",
  ECONNREFUSED: "ConnectionRefused",
  ECONNRESET: "ConnectionReset",
  ECONNABORTED: "ConnectionAborted",
  ENOTCONN: "NotConnected",
  EPIPE: "BrokenPipe",
  ETIMEDOUT: "TimedOut",
  EINTR: "Interrupted",
  EAGAIN: "WouldBlock",
  EWOULDBLOCK: "WouldBlock",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  ENETUNREACH: "NetworkUnreachable",
  ENOENT: "NotFound",
  EOPNOTSUPP: "NotSupported",
  ENOTSUP: "NotSupported",
};

/** The `Deno.errors` class name of an error of this module, or undefined. */
function denoClassOf(value: unknown): string | undefined {
  const isA = Function.prototype[Symbol.hasInstance];
  if (!isA.call(SocketError, value)) return undefined;
  if (isA.call(SocketClosedError, value)) return "BadResource";
  return DENO_CLASS[(value as SocketError).code.replace(/^WSA/, "")];
}

/**
 * On Deno, `e instanceof Deno.errors.AddrInUse` (and the other classes of {@link DENO_CLASS}) holds for
 * a SocketError of that code too, as for the errors of Deno's own sockets: each class gets a
 * `Symbol.hasInstance` that adds this module's errors to what it already accepts. The errors keep their
 * own prototype chain (SocketError, SocketClosedError), so every other `instanceof` and prototype check
 * is unchanged.
 */
function teachDenoErrors(): void {
  const errors = (globalThis as { Deno?: { errors?: Record<string, unknown> } }).Deno?.errors;
  if (!errors) return;
  const isA = Function.prototype[Symbol.hasInstance];
  for (const name of new Set([...Object.values(DENO_CLASS), "BadResource"])) {
    const DenoClass = errors[name];
    if (typeof DenoClass !== "function" || Object.hasOwn(DenoClass, Symbol.hasInstance)) continue;
    Object.defineProperty(DenoClass, Symbol.hasInstance, {
      value(this: unknown, value: unknown): boolean {
        return isA.call(this, value) || (this === DenoClass && denoClassOf(value) === name);
      },
      configurable: true,
    });
  }
}

/**
 * A failed system call: the Winsock (or errno) name and number, the call, and a sentence saying
 * what it means. On Deno it is also an instance of the matching `Deno.errors` class
 * (`Deno.errors.AddrInUse` for EADDRINUSE / WSAEADDRINUSE, `BadResource` for a closed socket), as the
 * errors of `Deno.listenDatagram` are.
 *
 * @example
 * ```ts
 * import { listenDatagram, SocketError } from "@recvmsg/recvmsg";
 * try {
 *   listenDatagram({ hostname: "127.0.0.1", port: 53 });
 * } catch (e) {
 *   if (e instanceof SocketError) console.log(e.code, e.errno, e.syscall); // e.g. "WSAEADDRINUSE" 10048 "bind"
 * }
 * ```
 */
export class SocketError extends Error {
  /** The SDK name, e.g. `"WSAEMSGSIZE"`. */
  readonly code: string;
  /** The number, e.g. `10040`. */
  readonly errno: number;
  /** The call that failed, e.g. `"WSARecvMsg"`. */
  readonly syscall: string;
  /**
   * With EMSGSIZE from a send: the path MTU to the destination as the system knows it (Linux IP_MTU /
   * IPV6_MTU, learned from ICMP "fragmentation needed" / "packet too big" or the route), in bytes of IP
   * packet; the largest datagram that fits is this less the IP and UDP headers (28 bytes for IPv4, 48 for
   * IPv6). Undefined where the system does not say.
   */
  readonly pathMtu?: number;
  /** Makes the error from its parts; `explanation` is the sentence after the code. */
  constructor(code: string, errno: number, syscall: string, explanation: string, details?: { pathMtu?: number }) {
    super(`${syscall} failed with ${code} (${errno}): ${explanation}`);
    this.name = "SocketError";
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    if (details?.pathMtu !== undefined) this.pathMtu = details.pathMtu;
  }
}

/**
 * `e` with more said at the end of its sentence, and its details kept (or given): for an error this
 * module learns more about after the call failed (the path MTU of an EMSGSIZE, how many segments of a
 * segmented send went). The code, number and call stay the system's.
 *
 * @example
 * ```ts
 * import { amendSocketError, SocketError } from "./errors.ts";
 * const e = new SocketError("EMSGSIZE", 90, "sendmsg", "The datagram is too large.");
 * console.log(amendSocketError(e, "; the path MTU is 1280 bytes", { pathMtu: 1280 }).message);
 * // "sendmsg failed with EMSGSIZE (90): The datagram is too large; the path MTU is 1280 bytes."
 * ```
 */
export function amendSocketError(e: SocketError, more: string, details?: { pathMtu?: number }): SocketError {
  const explanation = e.message.slice(`${e.syscall} failed with ${e.code} (${e.errno}): `.length).replace(/\.$/, "");
  return new SocketError(e.code, e.errno, e.syscall, `${explanation}${more}.`, {
    pathMtu: details?.pathMtu ?? e.pathMtu,
  });
}

/**
 * The socket was closed while a receive was pending, or used after close. Windows reports a pending
 * receive on a closed socket as WSA_OPERATION_ABORTED (995), Wine as WSAENOTSOCK (10038): both, and
 * every receive pending when `close()` is called, become this one error; its `code` is
 * `WSA_OPERATION_ABORTED` on Windows and `EBADF` on Linux.
 *
 * @example
 * ```ts
 * import { listenDatagram, SocketClosedError } from "@recvmsg/recvmsg";
 * const conn = listenDatagram({ hostname: "127.0.0.1", port: 0 });
 * const pending = conn.receiveMsg();
 * conn.close();
 * await pending.catch((e) => console.log(e instanceof SocketClosedError)); // true
 * ```
 */
export class SocketClosedError extends SocketError {
  /** Windows' name for it by default; the POSIX backend passes `"EBADF"`, 9. */
  constructor(syscall = "WSARecvMsg", code = "WSA_OPERATION_ABORTED", errno = 995) {
    super(code, errno, syscall, "the socket was closed while the operation was pending, or is closed already.");
    this.name = "SocketClosedError";
  }
}

/**
 * The error for a Winsock code returned by `syscall`.
 *
 * @example
 * ```ts
 * import { winsockFailure } from "@recvmsg/recvmsg";
 * console.log(winsockFailure(10022, "WSARecvMsg").message);
 * // "WSARecvMsg failed with WSAEINVAL (10022): An argument is invalid, or the socket has not been bound ..."
 * ```
 */
export function winsockFailure(errno: number, syscall: string): SocketError {
  const info = winsockError(errno);
  return new SocketError(info.name, info.code, syscall, info.message);
}

teachDenoErrors();
