/**
 * `send`'s arguments in every form node:dgram takes them — `(msg[, offset, length][, port][, address][, cb])`,
 * connected or not — plus this module's send options, normalised into one request.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { ERR, invalidArgType } from "./errors.ts";
import { validatePort, validateString } from "./validate.ts";

/** Where a datagram leaves from: a received message's `rinfo` fits as it is. */
export interface SendSource {
  /** The local address to send from (`rinfo.localAddress`). */
  localAddress?: string;
  /** The interface to send out of, by index (`rinfo.interfaceIndex`). */
  interfaceIndex?: number;
}

/**
 * What `send` takes beyond node:dgram's arguments, as an object before the callback (or last):
 * `socket.send(reply, rinfo.port, rinfo.address, { source: rinfo }, cb)` answers from the address and
 * interface the request reached.
 */
export interface SendExtras {
  /** Send from this local address and/or out of this interface (IP_PKTINFO / IPV6_PKTINFO). */
  source?: SendSource;
  /** The TTL / hop limit of this datagram, 1 to 255. */
  hopLimit?: number;
}

/** A datagram to send, after its arguments were checked. */
export interface SendRequest {
  /** The parts, as Buffers (concatenated when sent). */
  list: Uint8Array[];
  /** The destination port; 0 on a connected socket. */
  port: number;
  /** The destination as given (a name or a numeric address); undefined for the default or the peer. */
  address: string | undefined;
  /** Called with `(error, bytes)`. */
  callback: ((error: Error | null, bytes?: number) => void) | undefined;
  /** This module's extras. */
  extras: SendExtras | undefined;
}

type Part = string | ArrayBufferView;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Uint8Array {
  let b: ArrayBufferView;
  if (typeof buffer === "string") b = Buffer.from(buffer);
  else if (ArrayBuffer.isView(buffer)) b = buffer;
  else throw invalidArgType("buffer", ["Buffer", "TypedArray", "DataView", "string"], buffer);
  const off = (offset as number) >>> 0;
  const len = (length as number) >>> 0;
  if (off > b.byteLength) throw ERR.outOfBounds("offset");
  if (off + len > b.byteLength) throw ERR.outOfBounds("length");
  return Buffer.from(b.buffer, b.byteOffset + off, len);
}

function toList(buffer: unknown): Uint8Array[] {
  if (Array.isArray(buffer)) {
    const out: Uint8Array[] = [];
    for (const part of buffer as Part[]) {
      if (typeof part === "string") out.push(Buffer.from(part));
      else if (ArrayBuffer.isView(part)) out.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
      else {
        throw invalidArgType("buffer list arguments", ["Buffer", "TypedArray", "DataView", "string"], buffer);
      }
    }
    return out;
  }
  if (typeof buffer === "string") return [Buffer.from(buffer)];
  if (!ArrayBuffer.isView(buffer)) {
    throw invalidArgType("buffer", ["Buffer", "TypedArray", "DataView", "string"], buffer);
  }
  return [Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength)];
}

/**
 * Reads `send`'s arguments as node:dgram does (same errors, same order of checks).
 *
 * @example
 * ```ts
 * import { parseSendArgs } from "./send_args.ts";
 * const r = parseSendArgs(["hi", 41234, "127.0.0.1", () => {}], false);
 * console.log(r.port, r.address, r.list[0].length); // 41234 "127.0.0.1" 2
 * ```
 */
export function parseSendArgs(args: unknown[], connected: boolean): SendRequest {
  const a = args.slice();
  let extras: SendExtras | undefined;
  // This module's options object: last, or just before a callback that is last.
  const at = typeof a[a.length - 1] === "function" ? a.length - 2 : a.length - 1;
  if (at >= 1 && isPlainObject(a[at]) && ("source" in a[at] || "hopLimit" in a[at])) {
    extras = checkExtras(a[at] as Record<string, unknown>);
    a.splice(at, 1);
  }
  let [buffer, offset, length, port, address, callback] = a;
  if (!connected) {
    if (address || (port && typeof port !== "function")) {
      buffer = sliceBuffer(buffer, offset, length);
    } else {
      callback = port;
      port = offset;
      address = length;
    }
  } else {
    if (typeof length === "number") {
      buffer = sliceBuffer(buffer, offset, length);
      if (typeof port === "function") {
        callback = port;
        port = null;
      }
    } else {
      callback = offset;
    }
    if (port || address) throw ERR.isConnected();
  }
  const list = toList(buffer);
  const p = connected ? 0 : validatePort(port, "Port", false);
  if (typeof callback !== "function") callback = undefined;
  if (typeof address === "function") {
    callback = address;
    address = undefined;
  } else if (address !== null && address !== undefined) {
    validateString(address, "address");
  }
  if (list.length === 0) list.push(Buffer.alloc(0));
  return {
    list,
    port: p,
    address: (address ?? undefined) as string | undefined,
    callback: callback as SendRequest["callback"],
    extras,
  };
}

function checkExtras(o: Record<string, unknown>): SendExtras {
  const source = o.source;
  if (source !== undefined && (typeof source !== "object" || source === null)) {
    throw invalidArgType("options.source", ["Object"], source);
  }
  const s = source as Record<string, unknown> | undefined;
  if (s?.localAddress !== undefined && s.localAddress !== null) validateString(s.localAddress, "source.localAddress");
  const index = s?.interfaceIndex;
  if (index !== undefined && index !== null && (typeof index !== "number" || !Number.isInteger(index) || index < 0)) {
    throw ERR.outOfRange("source.interfaceIndex", "an interface index (an integer >= 0)", index);
  }
  const hop = o.hopLimit;
  if (hop !== undefined && (typeof hop !== "number" || !Number.isInteger(hop) || hop < 1 || hop > 255)) {
    throw ERR.outOfRange("options.hopLimit", ">= 1 && <= 255", hop);
  }
  return {
    source: s
      ? { localAddress: (s.localAddress ?? undefined) as string | undefined, interfaceIndex: index as number }
      : undefined,
    hopLimit: hop as number | undefined,
  };
}
