/**
 * The errors of `recvmsg/dgram`, shaped as node:dgram's: `ERR_*` codes with Node's sentences, and system
 * errors with `code`, a negative `errno` (libuv's number where the runtime knows it), `syscall`, `address`
 * and `port`, their message `syscall CODE address:port` as Node users read it.
 *
 * @module
 */
import * as util from "node:util";
import { SocketError } from "../errors.ts";

/** An error with a Node-style `code`, e.g. `ERR_SOCKET_BAD_PORT`. */
export interface CodedError extends Error {
  /** Node's code, e.g. `"ERR_SOCKET_ALREADY_BOUND"` or `"EADDRINUSE"`. */
  code: string;
}

/**
 * A Node-style error: `name` stays `Error`/`TypeError`/`RangeError` while the stack and `toString()` show
 * `Name [CODE]: message`, as Node's internal errors do.
 *
 * @example
 * ```ts
 * import { nodeError } from "./errors.ts";
 * const e = nodeError(RangeError, "ERR_SOCKET_BAD_PORT", "Port should be > 0 and < 65536. Received 0.");
 * console.log(e.name, e.code); // "RangeError" "ERR_SOCKET_BAD_PORT"
 * ```
 */
export function nodeError(
  Kind: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  code: string,
  message: string,
): CodedError {
  const e = new Kind(message) as CodedError;
  Object.defineProperty(e, "code", { value: code, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(e, "toString", {
    value() {
      return `${e.name} [${code}]: ${e.message}`;
    },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return e;
}

/**
 * How Node names a wrong value in `ERR_INVALID_ARG_TYPE`: `Received type number (0)`, `Received null`,
 * `Received an instance of Object`, `Received function f`.
 *
 * @example
 * ```ts
 * import { received } from "./errors.ts";
 * console.log(received(0)); // "Received type number (0)"
 * ```
 */
export function received(value: unknown): string {
  if (value === null || value === undefined) return `Received ${value}`;
  if (typeof value === "function") return `Received function ${value.name}`;
  if (typeof value === "object") {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name ? `Received an instance of ${name}` : `Received ${util.inspect(value, { depth: -1 })}`;
  }
  let shown = util.inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `Received type ${typeof value} (${shown})`;
}

/**
 * Node's `ERR_INVALID_ARG_TYPE` for argument `name`, which must be one of `types`.
 *
 * @example
 * ```ts
 * import { invalidArgType } from "./errors.ts";
 * console.log(invalidArgType("address", ["string"], 5).message);
 * // 'The "address" argument must be of type string. Received type number (5)'
 * ```
 */
export function invalidArgType(name: string, types: string[], value: unknown): CodedError {
  const kinds = types.filter((t) => /^[a-z]/.test(t));
  const classes = types.filter((t) => /^[A-Z]/.test(t));
  const parts: string[] = [];
  if (kinds.length > 0) parts.push(`of type ${orList(kinds)}`);
  if (classes.length > 0) parts.push(`an instance of ${orList(classes)}`);
  // Node's wording: `The "x" argument`, `The "o.x" property`, and a name ending in " argument" as is.
  const what = name.endsWith(" argument")
    ? `The ${name}`
    : `The "${name}" ${name.includes(".") ? "property" : "argument"}`;
  return nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `${what} must be ${parts.join(" or ")}. ${received(value)}`);
}

function orList(items: string[]): string {
  if (items.length <= 2) return items.join(" or ");
  return `${items.slice(0, -1).join(", ")}, or ${items[items.length - 1]}`;
}

/** Node's own error codes for dgram, with their sentences. */
export const ERR = {
  /** bind() on a bound socket. */
  alreadyBound: () => nodeError(Error, "ERR_SOCKET_ALREADY_BOUND", "Socket is already bound"),
  /** The socket is closed. */
  notRunning: () => nodeError(Error, "ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running"),
  /** connect() twice, or send() with an address on a connected socket. */
  isConnected: () => nodeError(Error, "ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected"),
  /** disconnect() or remoteAddress() on a socket that is not connected. */
  notConnected: () => nodeError(Error, "ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected"),
  /** A type other than udp4 / udp6. */
  badType: () => nodeError(TypeError, "ERR_SOCKET_BAD_TYPE", "Bad socket type specified. Valid types are: udp4, udp6"),
  /** A buffer size that is not a positive 32-bit integer. */
  badBufferSize: () => nodeError(TypeError, "ERR_SOCKET_BAD_BUFFER_SIZE", "Buffer size must be a positive integer"),
  /** A required argument is missing. */
  missingArgs: (name: string) => nodeError(TypeError, "ERR_MISSING_ARGS", `The "${name}" argument must be specified`),
  /** offset/length past the end of the buffer. */
  outOfBounds: (name: string) =>
    nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", `"${name}" is outside of buffer bounds`),
  /** A bad port, in Node's words. */
  badPort: (name: string, value: unknown, allowZero: boolean) =>
    nodeError(
      RangeError,
      "ERR_SOCKET_BAD_PORT",
      `${name} should be ${allowZero ? ">=" : ">"} 0 and < 65536. ${received(value)}.`,
    ),
  /** An address a `sendBlockList` holds. */
  ipBlocked: (ip: string) => nodeError(Error, "ERR_IP_BLOCKED", `IP(${ip}) is blocked by net.BlockList`),
  /** A value out of range. */
  outOfRange: (name: string, range: string, value: unknown) =>
    nodeError(
      RangeError,
      "ERR_OUT_OF_RANGE",
      `The value of "${name}" is out of range. It must be ${range}. Received ${rangeValue(value)}`,
    ),
};

/** A received value as Node's ERR_OUT_OF_RANGE shows it: integers past 2^32 with `_` between thousands. */
function rangeValue(value: unknown): string {
  const big = typeof value === "bigint";
  if ((Number.isInteger(value) || big) && Math.abs(Number(value)) > 2 ** 32) {
    const text = String(value);
    const digits = text.replace(/^-/, "");
    let out = "";
    for (let end = digits.length; end > 0; end -= 3) out = digits.slice(Math.max(0, end - 3), end) + (out && "_") + out;
    return (text.startsWith("-") ? "-" : "") + out + (big ? "n" : "");
  }
  return big ? `${value}n` : util.inspect(value);
}

let uvNumbers: Map<string, number> | null = null;

/**
 * The negative errno Node reports for a code name: libuv's number from `util.getSystemErrorMap()` where
 * the runtime has it (Node, Bun), else `-fallback`.
 */
export function uvErrno(code: string, fallback: number): number {
  if (uvNumbers === null) {
    uvNumbers = new Map();
    try {
      const map = (util as unknown as { getSystemErrorMap?: () => Map<number, [string, string]> })
        .getSystemErrorMap?.();
      if (map) { for (const [n, [name]] of map) if (!uvNumbers.has(name)) uvNumbers.set(name, n); }
    } catch {
      // A runtime without the map: the system's own number is used.
    }
  }
  return uvNumbers.get(code) ?? -Math.abs(fallback);
}

/** A system error as Node gives it: `code`, negative `errno`, `syscall`, and `address`/`port` when known. */
export interface ErrnoException extends CodedError {
  /** Negative, as libuv numbers them. */
  errno: number;
  /** The call: `bind`, `send`, `connect`, `getsockname`, `addMembership`, ... */
  syscall: string;
  /** The address the call was about, when there is one. */
  address?: string;
  /** The port the call was about, when not 0. */
  port?: number;
  /** This module's error underneath, with its own sentence (and `pathMtu` for EMSGSIZE). */
  cause?: unknown;
}

/** Linux's numbers for the codes this module makes itself (libuv's numbers come from the runtime). */
const ERRNO: Record<string, number> = {
  EBADF: 9,
  EINVAL: 22,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENOTSUP: 95,
  ENODEV: 19,
  ENOTSOCK: 88,
};

/**
 * The Node-style error for `code` from `syscall`, with `address` and `port` in the message when given:
 * `bind EADDRINUSE 0.0.0.0:41234`, `send EMSGSIZE 127.0.0.1:9`, `setTTL EINVAL`.
 *
 * @example
 * ```ts
 * import { errnoException } from "./errors.ts";
 * const e = errnoException("EADDRINUSE", "bind", "0.0.0.0", 41234);
 * console.log(e.message, e.errno < 0); // "bind EADDRINUSE 0.0.0.0:41234" true
 * ```
 */
export function errnoException(
  code: string,
  syscall: string,
  address?: string,
  port?: number,
  number?: number,
): ErrnoException {
  let where = "";
  if (address !== undefined && address !== "") where = port ? ` ${address}:${port}` : ` ${address}`;
  const e = new Error(`${syscall} ${code}${where}`) as ErrnoException;
  e.errno = uvErrno(code, number ?? ERRNO[code] ?? 0);
  e.code = code;
  e.syscall = syscall;
  if (address !== undefined && address !== "") e.address = address;
  if (port) e.port = port;
  return e;
}

/**
 * A failure of this module's API as node:dgram reports it: a {@link SocketError} becomes an
 * {@link errnoException} of its code (Windows' `WSAE...` names without the `WSA`), keeping it as `cause`;
 * a RangeError of an out-of-range value becomes `EINVAL`, as libuv says it; anything else is returned.
 */
export function fromSocketError(e: unknown, syscall: string, address?: string, port?: number): unknown {
  if (e instanceof SocketError) {
    const code = e.code === "WSA_OPERATION_ABORTED" ? "EBADF" : e.code.replace(/^WSA/, "");
    const out = errnoException(code, syscall, address, port, e.errno);
    out.cause = e;
    return out;
  }
  if (e instanceof RangeError && !("code" in e)) {
    const out = errnoException("EINVAL", syscall, address, port);
    out.cause = e;
    return out;
  }
  return e;
}

/**
 * Node's `ERR_SOCKET_BUFFER_SIZE` (a SystemError): buffer sizes asked of a socket that has none, or refused.
 */
export function bufferSizeError(code: string, syscall: string, message: string): CodedError {
  const e = nodeError(
    Error,
    "ERR_SOCKET_BUFFER_SIZE",
    `Could not get or set buffer size: ${syscall} returned ${code} (${message})`,
  );
  e.name = "SystemError";
  const errno = uvErrno(code, ERRNO[code] ?? 0);
  Object.assign(e, { info: { errno, code, message, syscall }, errno, syscall });
  return e;
}
