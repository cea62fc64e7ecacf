/**
 * Argument checks of `recvmsg/dgram`, with node:dgram's error codes and sentences, made before any call.
 *
 * @module
 */
import { BlockList } from "node:net";
import { ERR, invalidArgType, nodeError, received } from "./errors.ts";
import type { SocketOptions } from "./types.ts";

/**
 * `createSocket`'s options as node:dgram checks them: the type, `lookup`, the buffer sizes and the block
 * lists. Returns them, known to name a type.
 *
 * @example
 * ```ts
 * import { validateSocketOptions } from "./validate.ts";
 * console.log(validateSocketOptions({ type: "udp4" }).type); // "udp4"
 * ```
 */
export function validateSocketOptions(options: Partial<SocketOptions>): SocketOptions {
  if (options.type !== "udp4" && options.type !== "udp6") throw ERR.badType();
  if (options.lookup !== undefined) validateFunction(options.lookup, "lookup");
  if (options.recvBufferSize) validateUint32(options.recvBufferSize, "options.recvBufferSize");
  if (options.sendBufferSize) validateUint32(options.sendBufferSize, "options.sendBufferSize");
  for (const name of ["receiveBlockList", "sendBlockList"] as const) {
    const list = options[name];
    if (list !== undefined && !(list instanceof BlockList)) {
      throw invalidArgType(`options.${name}`, ["BlockList"], list);
    }
  }
  return options as SocketOptions;
}

/**
 * A port as Node's `validatePort` takes it (a number or a numeric string), as a number; else
 * `ERR_SOCKET_BAD_PORT` naming `name`.
 *
 * @example
 * ```ts
 * import { validatePort } from "./validate.ts";
 * console.log(validatePort("53", "Port", false)); // 53
 * ```
 */
export function validatePort(port: unknown, name: string, allowZero: boolean): number {
  if (
    (typeof port !== "number" && typeof port !== "string") ||
    (typeof port === "string" && port.trim().length === 0) ||
    +port !== (+port >>> 0) ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw ERR.badPort(name, port, allowZero);
  }
  return +port | 0;
}

/**
 * `value` when it is a string, else `ERR_INVALID_ARG_TYPE` naming `name`.
 *
 * @example
 * ```ts
 * import { validateString } from "./validate.ts";
 * validateString("224.0.0.251", "groupAddress");
 * ```
 */
export function validateString(value: unknown, name: string): string {
  if (typeof value !== "string") throw invalidArgType(name, ["string"], value);
  return value;
}

/**
 * `value` when it is a number, else `ERR_INVALID_ARG_TYPE` naming `name`.
 *
 * @example
 * ```ts
 * import { validateNumber } from "./validate.ts";
 * validateNumber(64, "ttl");
 * ```
 */
export function validateNumber(value: unknown, name: string): number {
  if (typeof value !== "number") throw invalidArgType(name, ["number"], value);
  return value;
}

/**
 * `value` when it is a function, else `ERR_INVALID_ARG_TYPE` naming `name`.
 *
 * @example
 * ```ts
 * import { validateFunction } from "./validate.ts";
 * validateFunction(() => {}, "options.lookup");
 * ```
 */
export function validateFunction<T>(value: T, name: string): T {
  if (typeof value !== "function") throw invalidArgType(name, ["function"], value);
  return value;
}

/**
 * `value` when it is an AbortSignal, else `ERR_INVALID_ARG_TYPE` naming `name`.
 *
 * @example
 * ```ts
 * import { validateAbortSignal } from "./validate.ts";
 * validateAbortSignal(AbortSignal.timeout(1000), "options.signal");
 * ```
 */
export function validateAbortSignal(value: unknown, name: string): AbortSignal {
  if (typeof value !== "object" || value === null || !("aborted" in value)) {
    throw invalidArgType(name, ["AbortSignal"], value);
  }
  return value as AbortSignal;
}

/**
 * `value` when it is an integer from 0 (or 1 with `positive`) to 2^32-1, else Node's
 * `ERR_INVALID_ARG_TYPE` / `ERR_OUT_OF_RANGE`.
 *
 * @example
 * ```ts
 * import { validateUint32 } from "./validate.ts";
 * validateUint32(65536, "options.recvBufferSize", true);
 * ```
 */
export function validateUint32(value: unknown, name: string, positive = false): number {
  if (typeof value !== "number") throw invalidArgType(name, ["number"], value);
  if (!Number.isInteger(value)) {
    throw nodeError(
      RangeError,
      "ERR_OUT_OF_RANGE",
      `The value of "${name}" is out of range. It must be an integer. ${
        received(value).replace(/^Received type number \((.*)\)$/, "Received $1")
      }`,
    );
  }
  const min = positive ? 1 : 0;
  if (value < min || value > 4294967295) throw ERR.outOfRange(name, `>= ${min} && <= 4294967295`, value);
  return value;
}

/**
 * The buffer size a `set...BufferSize` call takes: a positive 32-bit integer, else
 * `ERR_SOCKET_BAD_BUFFER_SIZE` (as node:dgram checks it, `size >>> 0 === size`).
 */
export function validateBufferSize(size: unknown): number {
  if (typeof size !== "number" || size >>> 0 !== size) throw ERR.badBufferSize();
  return size;
}
