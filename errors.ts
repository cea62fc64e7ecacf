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
  /** The address the call was about (a bind's), as node:dgram's errors carry it; undefined when none. */
  readonly address?: string;
  /** The port the call was about, with `address`. */
  readonly port?: number;
  /**
   * Makes the error from its parts; `explanation` is the sentence after the code. With an address (and
   * port) the message starts as Node's do, `bind EADDRINUSE 127.0.0.1:53`.
   */
  constructor(
    code: string,
    errno: number,
    syscall: string,
    explanation: string,
    details?: { pathMtu?: number; address?: string; port?: number },
  ) {
    super(`${head(code, errno, syscall, details)}: ${explanation}`);
    this.name = "SocketError";
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    if (details?.pathMtu !== undefined) this.pathMtu = details.pathMtu;
    if (details?.address !== undefined) {
      this.address = details.address;
      if (details.port !== undefined) this.port = details.port;
    }
  }
}

/** What a SocketError may carry beside its code: the path MTU of an EMSGSIZE, the address and port of a bind. */
type SocketErrorDetails = { pathMtu?: number; address?: string; port?: number };

/** The start of a SocketError's message: Node's `bind EADDRINUSE 127.0.0.1:53` when there is an address. */
function head(code: string, errno: number, syscall: string, details?: SocketErrorDetails): string {
  if (details?.address === undefined) return `${syscall} failed with ${code} (${errno})`;
  const where = details.port === undefined ? details.address : `${details.address}:${details.port}`;
  return `${syscall} ${code} ${where} (${errno})`;
}

/** What to try after a bind failed with this code (the code without `WSA`), where there is something to try. */
const BIND_HINTS: Record<string, (port: number) => string> = {
  EADDRINUSE: (port) =>
    `choose another port (0 lets the system pick a free one), or, when port ${port} is shared on purpose (mDNS on 5353, several workers), set reusePort: true on every socket that binds it`,
  EADDRNOTAVAIL: () => "bind a wildcard (0.0.0.0 or ::) or an address that interfaces() lists",
  EACCES: (port) =>
    port !== 0 && port < 1024
      ? `ports below 1024 need privileges (root or CAP_NET_BIND_SERVICE on Linux); choose a port from 1024 up, or port 0`
      : "the system refused this address and port to this process (taken exclusively by another socket, or reserved)",
};

/**
 * A bind's failure as Node users read it: `bind EADDRINUSE 127.0.0.1:53`, the system's sentence, and what
 * to try; the code, number and call stay the system's, and `address` / `port` are set.
 *
 * @example
 * ```ts
 * import { bindFailure, SocketError } from "./errors.ts";
 * const e = new SocketError("EADDRINUSE", 98, "bind", "Address already in use.");
 * console.log(bindFailure(e, "127.0.0.1", 53).message);
 * // "bind EADDRINUSE 127.0.0.1:53 (98): Address already in use; choose another port (0 lets the system pick ..."
 * ```
 */
export function bindFailure(e: SocketError, address: string, port: number): SocketError {
  const hint = BIND_HINTS[e.code.replace(/^WSA/, "")];
  const explanation = explanationOf(e).replace(/\.$/, "");
  return new SocketError(
    e.code,
    e.errno,
    e.syscall,
    hint === undefined ? `${explanation}.` : `${explanation}; ${hint(port)}.`,
    { pathMtu: e.pathMtu, address, port },
  );
}

/** The sentence after the code of a SocketError's message. */
function explanationOf(e: SocketError): string {
  const details = e.address === undefined ? undefined : { address: e.address, port: e.port };
  return e.message.slice(head(e.code, e.errno, e.syscall, details).length + 2);
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
  const explanation = explanationOf(e).replace(/\.$/, "");
  return new SocketError(e.code, e.errno, e.syscall, `${explanation}${more}.`, {
    pathMtu: details?.pathMtu ?? e.pathMtu,
    address: e.address,
    port: e.port,
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
  const message = syscall.startsWith("WSASend") ? SEND_MEANINGS.get(errno) ?? info.message : info.message;
  return new SocketError(info.name, info.code, syscall, message);
}

/** Codes whose sentence (written for a receive, as Microsoft's contract gives them) means otherwise for a send. */
const SEND_MEANINGS = new Map<number, string>([
  [10040, "The datagram is larger than the socket can send (65,507 bytes of UDP payload over IPv4); nothing was sent."],
  [
    10045,
    "The operation is not supported on this socket: for a send, Wine answers so for a destination of the other address family (an IPv6 address from an IPv4 socket).",
  ],
]);

teachDenoErrors();
