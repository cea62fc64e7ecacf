/**
 * The argument checks of receives, batch receives, sends and batch sends: every one runs before any
 * system call, and each error is a TypeError or RangeError naming the parameter (and, in a batch, the
 * index) — bad input never costs a datagram.
 *
 * @module
 */
import { type BackendSocket, destination, type ReceiveRequest } from "../ffi/common/backend.ts";
import { type BatchOptions, type NetAddr, ReceivedMessage, type ReceiveOptions, type SendOptions } from "../message.ts";
import { MSG_PEEK } from "../structs/constants.ts";
import { describeValue as describe } from "../structs/describe.ts";
import { ipv4Bits, parseIPv6Into } from "../structs/ip.ts";
import { stripBrackets } from "../structs/sockaddr.ts";
import type { OutgoingMessage, Transmit } from "./transmit.ts";

/**
 * The largest UDP payload.
 *
 * @example
 * ```ts
 * import { MAX_DATAGRAM } from "./checks.ts";
 * console.log(MAX_DATAGRAM); // 65535
 * ```
 */
export const MAX_DATAGRAM = 65535;

/**
 * A receive request the checks rewrite in place: no object per receive.
 *
 * @example
 * ```ts
 * import type { MutableRequest } from "./checks.ts";
 * const r: MutableRequest = { target: null, peek: false, controlSize: 128, reuse: null };
 * r.peek = true;
 * ```
 */
export type MutableRequest = { -readonly [K in keyof ReceiveRequest]: ReceiveRequest[K] };

/**
 * A transmit the send checks rewrite in place: no object per send.
 *
 * @example
 * ```ts
 * import type { MutableTransmit } from "./checks.ts";
 * const t: MutableTransmit = { data: new Uint8Array(1), to: null, source: undefined, hopLimit: undefined, trafficClass: undefined, segmentSize: undefined };
 * t.hopLimit = 8;
 * ```
 */
export type MutableTransmit = { -readonly [K in keyof Transmit]: Transmit[K] };

/**
 * A batch receive, checked: the backend's request plus the array the messages go to.
 *
 * @example
 * ```ts
 * import type { ReceiveBatch } from "./checks.ts";
 * const b: ReceiveBatch = { count: 2, buffer: null, segment: 65536, controlSize: 128, out: [] };
 * console.log(b.count);
 * ```
 */
export interface ReceiveBatch {
  readonly count: number;
  readonly buffer: Uint8Array | null;
  readonly segment: number;
  readonly controlSize: number;
  readonly out: ReceivedMessage[];
}

/**
 * What a send's checks must know of the socket.
 *
 * @example
 * ```ts
 * import type { SendContext } from "./checks.ts";
 * const c: SendContext = { peer: null, ipv6: true, perDatagramDscp: true };
 * console.log(c.ipv6);
 * ```
 */
export interface SendContext {
  /** The connected peer, or null (then every send needs a destination). */
  readonly peer: NetAddr | null;
  /** Whether the socket is IPv6 (dual-stack): IPv4 destinations travel v4-mapped. */
  readonly ipv6: boolean;
  /** Whether a send can carry its own DSCP (the backend's `capabilities.perDatagramDscp`). */
  readonly perDatagramDscp: boolean;
}

/**
 * Whether a view has fallen outside its resizable ArrayBuffer (shrunk below it): its length reads 0,
 * and nothing may be received into it. A zero-length view that is in bounds is not.
 *
 * @example
 * ```ts
 * import { outOfBounds } from "./checks.ts";
 * const rab = new ArrayBuffer(16, { maxByteLength: 32 });
 * const view = new Uint8Array(rab, 8, 8);
 * rab.resize(4);
 * console.log(outOfBounds(view), outOfBounds(new Uint8Array(0))); // true false
 * ```
 */
export function outOfBounds(view: Uint8Array): boolean {
  if (view.length !== 0 || !(view.buffer as ArrayBuffer & { resizable?: boolean }).resizable) return false;
  try {
    // fill validates the view as every method but subarray does (subarray of a fixed-length view whose
    // end fell off but whose start did not passes); filling nothing writes nothing.
    view.fill(0, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The error for a receive buffer that shrank out of bounds, naming `buffer`.
 *
 * @example
 * ```ts
 * import { shrunkBuffer } from "./checks.ts";
 * console.log(shrunkBuffer("receiveMsg").message.startsWith("receiveMsg: buffer")); // true
 * ```
 */
export function shrunkBuffer(method: string): RangeError {
  return new RangeError(
    `${method}: buffer is out of bounds: its resizable ArrayBuffer was shrunk below the view; nothing was received`,
  );
}

// The keys each options object may have, as records of the interfaces' keys: the compiler says when a key is
// added to an interface and not here.
const RECEIVE: Record<keyof ReceiveOptions, true> = {
  buffer: true,
  peek: true,
  flags: true,
  signal: true,
  controlSize: true,
  reuse: true,
};
const BATCH: Record<keyof BatchOptions, true> = { buffer: true, controlSize: true, signal: true, reuse: true };
const SEND: Record<keyof SendOptions, true> = {
  localAddr: true,
  hopLimit: true,
  ecn: true,
  dscp: true,
  segmentSize: true,
  signal: true,
};
// segmentSize is not a batch key, but it has its own sentence there (checked first).
const MESSAGE: Record<keyof OutgoingMessage | "segmentSize", true> = {
  data: true,
  remoteAddr: true,
  localAddr: true,
  hopLimit: true,
  ecn: true,
  dscp: true,
  segmentSize: true,
};
const RECEIVE_KEYS: ReadonlySet<string> = new Set(Object.keys(RECEIVE));
const BATCH_KEYS: ReadonlySet<string> = new Set(Object.keys(BATCH));
const SEND_KEYS: ReadonlySet<string> = new Set(Object.keys(SEND));
const MESSAGE_KEYS: ReadonlySet<string> = new Set(Object.keys(MESSAGE));

/**
 * Throws a TypeError naming the first key of `options` that `known` lacks: a misspelt option is refused,
 * not ignored. On the hot path: `for...in` walks the keys without making an array (nothing allocated
 * unless there is an error), and a call without options never gets here.
 *
 * @example
 * ```ts
 * import { refuseUnknownKeys } from "./checks.ts";
 * try {
 *   refuseUnknownKeys({ sginal: null }, new Set(["signal"]), "receiveMsg", "option");
 * } catch (e) {
 *   console.log((e as TypeError).message); // receiveMsg: unknown option "sginal"; the options are signal
 * }
 * ```
 */
export function refuseUnknownKeys(options: object, known: ReadonlySet<string>, method: string, what: string): void {
  for (const key in options) {
    if (!known.has(key)) {
      throw new TypeError(
        `${method}: unknown ${what} ${JSON.stringify(key)}; the ${what}s are ${[...known].join(", ")}`,
      );
    }
  }
}

function checkBuffer(buffer: unknown, method: string): void {
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`${method}: buffer must be a Uint8Array, got ${describe(buffer)}`);
  }
  if (outOfBounds(buffer)) throw shrunkBuffer(method);
}

/**
 * A receive's `controlSize`: the socket's default when undefined; else within what the socket needs
 * and allows.
 *
 * @example
 * ```ts
 * import { checkControlSize } from "./checks.ts";
 * const socket = { defaultControlSize: 128, requiredControlSize: 0, maxControlSize: 4096 } as never;
 * console.log(checkControlSize(undefined, socket, "receiveMsg")); // 128
 * ```
 */
export function checkControlSize(controlSize: number | undefined, socket: BackendSocket, method: string): number {
  if (controlSize === undefined) return socket.defaultControlSize;
  const { requiredControlSize: min, maxControlSize: max } = socket;
  if (!Number.isInteger(controlSize) || controlSize < 0 || controlSize > max) {
    throw new RangeError(`${method}: controlSize must be an integer from 0 to ${max}, got ${describe(controlSize)}`);
  }
  if (controlSize < min) {
    throw new RangeError(
      `${method}: controlSize ${controlSize} cannot hold any control message this socket asks for; it needs at least ${min} bytes`,
    );
  }
  return controlSize;
}

/**
 * Checks a receive's options and writes them into `scratch` (returned); `fallback` when there are none.
 *
 * @example
 * ```ts
 * import { checkReceive } from "./checks.ts";
 * const socket = { defaultControlSize: 128, requiredControlSize: 0, maxControlSize: 4096 } as never;
 * const scratch = { target: null, peek: false, controlSize: 128, reuse: null };
 * console.log(checkReceive({ peek: true }, socket, scratch, scratch, "receiveMsg").peek); // true
 * ```
 */
export function checkReceive(
  options: ReceiveOptions | undefined,
  socket: BackendSocket,
  scratch: MutableRequest,
  fallback: ReceiveRequest,
  method: string,
): ReceiveRequest {
  if (options === undefined) return fallback;
  if (typeof options !== "object" || options === null) throw new TypeError(`${method}: options must be an object`);
  refuseUnknownKeys(options, RECEIVE_KEYS, method, "option");
  const { buffer, peek, flags, signal, controlSize, reuse } = options;
  if (buffer !== undefined) checkBuffer(buffer, method);
  if (peek !== undefined && typeof peek !== "boolean") throw new TypeError(`${method}: peek must be a boolean`);
  if (flags !== undefined) {
    // Compared as whole numbers: bit operations would cut 2**40 to 0 and 2**32 + 2 to MSG_PEEK.
    if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0) {
      throw new RangeError(`${method}: flags must be a non-negative integer, got ${describe(flags)}`);
    }
    if (flags !== 0 && flags !== MSG_PEEK) {
      throw new RangeError(
        `${method}: flags may contain only MSG_PEEK (0x2), as WSARecvMsg allows; got 0x${flags.toString(16)}`,
      );
    }
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${method}: signal must be an AbortSignal`);
  }
  const control = checkControlSize(controlSize, socket, method);
  if (reuse !== undefined && reuse !== null) {
    if (!(reuse instanceof ReceivedMessage)) {
      throw new TypeError(
        `${method}: reuse must be a message an earlier receive returned, or null; got ${describe(reuse)}`,
      );
    }
    writable(reuse, method);
  }
  scratch.target = buffer ?? null;
  scratch.peek = peek === true || ((flags ?? 0) & MSG_PEEK) !== 0;
  scratch.controlSize = control;
  scratch.reuse = reuse ?? null;
  return scratch;
}

/**
 * Checks `messages()`'s options once, into a request of the iterator's own: `options` for its keys (a
 * misspelt one is refused), `values` — what was read from it, once — for the rest. Peek and flags are
 * refused: the iterator would yield one datagram forever.
 *
 * @example
 * ```ts
 * import { checkMessagesOptions } from "./checks.ts";
 * const socket = { defaultControlSize: 128, requiredControlSize: 0, maxControlSize: 4096 } as never;
 * const fallback = { target: null, peek: false, controlSize: 128, reuse: null };
 * const o = { controlSize: 256 };
 * console.log(checkMessagesOptions(o, o, socket, fallback).controlSize); // 256
 * ```
 */
export function checkMessagesOptions(
  options: ReceiveOptions | undefined,
  values: ReceiveOptions | undefined,
  socket: BackendSocket,
  fallback: ReceiveRequest,
): ReceiveRequest {
  if (typeof options === "object" && options !== null) refuseUnknownKeys(options, RECEIVE_KEYS, "messages", "option");
  if (values?.peek === true || (typeof values?.flags === "number" && values.flags !== 0)) {
    throw new TypeError("messages: peek and flags are not allowed: each datagram would be yielded again forever");
  }
  return checkReceive(values, socket, { target: null, peek: false, controlSize: 0, reuse: null }, fallback, "messages");
}

/** The number of the last reuse check: each marks the messages it meets with its own (no set per batch). */
let reuseCheck = 0;

/**
 * Checks a batch receive's arguments: `count`, `buffer` (cut into `count` segments), `controlSize`,
 * and `reuse` — an array an earlier batch returned, which the batch can write (not frozen, sealed or
 * non-extensible, its length writable) and which holds no message twice.
 *
 * @example
 * ```ts
 * import { checkBatchReceive } from "./checks.ts";
 * const socket = { defaultControlSize: 128, requiredControlSize: 0, maxControlSize: 4096 } as never;
 * console.log(checkBatchReceive(4, { buffer: new Uint8Array(4000) }, socket, "receiveMsgs").segment); // 1000
 * ```
 */
export function checkBatchReceive(
  count: number,
  options: BatchOptions | undefined,
  socket: BackendSocket,
  method: string,
): ReceiveBatch {
  if (!Number.isInteger(count) || count < 1 || count > 1024) {
    throw new RangeError(`${method}: count must be an integer from 1 to 1024, got ${describe(count)}`);
  }
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`${method}: options must be an object`);
  }
  if (options !== undefined) refuseUnknownKeys(options, BATCH_KEYS, method, "option");
  const buffer = options?.buffer;
  let segment = MAX_DATAGRAM + 1;
  if (buffer !== undefined) {
    checkBuffer(buffer, method);
    segment = Math.floor(buffer.length / count);
    if (segment < 1) {
      throw new RangeError(`${method}: buffer of ${buffer.length} bytes cannot be cut into ${count} segments`);
    }
  }
  const controlSize = checkControlSize(options?.controlSize, socket, method);
  const reuse = options?.reuse;
  if (reuse !== undefined && reuse !== null) checkReuse(reuse, method);
  return { count, buffer: buffer ?? null, segment, controlSize, out: (reuse as ReceivedMessage[] | null) ?? [] };
}

/**
 * Refuses a frozen message as `reuse` before a datagram is taken: it could not take one. Asked by writing a
 * field as it is (strict code throws on a frozen object), since V8's Object.isFrozen is a runtime call
 * (~8 ns, once per message of a batch); the write costs next to nothing.
 */
function writable(m: ReceivedMessage, method: string, index = -1): void {
  try {
    // deno-lint-ignore no-self-assign -- the write is the question
    m.flags = m.flags;
  } catch {
    const what = index < 0 ? `${method}: reuse` : `${method}: reuse[${index}]`;
    throw new TypeError(`${what} is frozen: a reused message is written with its new datagram; pass one that is not`);
  }
}

function checkReuse(reuse: unknown, method: string): void {
  let ours = Array.isArray(reuse);
  for (let i = 0; ours && i < (reuse as unknown[]).length; i++) {
    ours = ReceivedMessage._isOne((reuse as unknown[])[i]);
  }
  if (!ours) throw new TypeError(`${method}: reuse must be an array an earlier batch returned, or null`);
  const array = reuse as ReceivedMessage[];
  if (!Object.isExtensible(array) || Object.getOwnPropertyDescriptor(array, "length")?.writable === false) {
    throw new TypeError(`${method}: reuse must be an array the batch can write: this one is frozen, sealed or fixed`);
  }
  const check = ++reuseCheck;
  for (let i = 0; i < array.length; i++) {
    if (!array[i]._claim(check)) {
      throw new TypeError(`${method}: reuse holds the same message twice (reuse[${i}]); each datagram needs its own`);
    }
    writable(array[i], method, i);
  }
}

/** Where the checks parse IPv6 text, once for all sends (a new typed array costs a microsecond on Deno). */
const V6 = new Uint8Array(16);
/** Where an error names the destination: `sendMsg: remoteAddr`, or `sendMsgs: messages[i].remoteAddr` in a batch. */
const addrPath = (method: string) => method.endsWith("]") ? `${method}.remoteAddr` : `${method}: remoteAddr`;

/** The last destination hostname found numeric (see checkSend). */
let lastHostname: string | null = null;

/**
 * Checks one send's arguments and writes them into `out` (the caller's objects as they are: a send
 * that has to wait copies them). `method` names the call, or `sendMsgs: messages[i]` in a batch.
 * `keys`: the keys `options` may have (null: any, for a received message sent on as it is).
 *
 * @example
 * ```ts
 * import { checkSend } from "./checks.ts";
 * const out = { data: new Uint8Array(0), to: null, source: undefined, hopLimit: undefined, trafficClass: undefined, segmentSize: undefined };
 * checkSend(new Uint8Array(3), { hostname: "127.0.0.1", port: 9 }, { ecn: 1 }, { peer: null, ipv6: false, perDatagramDscp: true }, "sendMsg", out);
 * console.log(out.trafficClass); // 1
 * ```
 */
export function checkSend(
  data: Uint8Array,
  remoteAddr: { hostname: string; port: number } | null | undefined,
  options: SendOptions | undefined,
  context: SendContext,
  method: string,
  out: MutableTransmit,
  keys: ReadonlySet<string> | null = SEND_KEYS,
): void {
  if (!(data instanceof Uint8Array)) throw new TypeError(`${method}: data must be a Uint8Array, got ${describe(data)}`);
  if (data.length > MAX_DATAGRAM) {
    throw new RangeError(`${method}: data is ${data.length} bytes; a UDP datagram holds at most ${MAX_DATAGRAM}`);
  }
  if (data.byteLength === 0 && (data.buffer as ArrayBuffer & { detached?: boolean }).detached === true) {
    throw new TypeError(`${method}: data's buffer is detached (transferred); there is nothing to send`);
  }
  if (outOfBounds(data)) {
    throw new RangeError(
      `${method}: data lies past the end of its resizable buffer, which shrank; there is nothing to send`,
    );
  }
  if (remoteAddr === undefined || remoteAddr === null) {
    if (context.peer === null) throw new TypeError(`${method}: remoteAddr is needed: this socket is not connected`);
  } else if (typeof remoteAddr !== "object" || typeof remoteAddr.hostname !== "string") {
    throw new TypeError(`${method}: remoteAddr must be an object with a numeric hostname and a port`);
  } else {
    const port = remoteAddr.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`${addrPath(method)}.port must be an integer from 0 to 65535, got ${describe(port)}`);
    }
    const hostname = remoteAddr.hostname;
    // Parsed once per new hostname: a server answering its clients sends to few.
    if (hostname !== lastHostname) {
      const host = stripBrackets(hostname);
      if (ipv4Bits(host) < 0 && parseIPv6Into(host, V6, 0) < 0) {
        throw new TypeError(
          `${
            addrPath(method)
          }.hostname must be a numeric IPv4 or IPv6 address (this call takes numbers: send(), listenDatagram and connectDatagram look names up), got ${
            JSON.stringify(hostname)
          }`,
        );
      }
      lastHostname = hostname;
    }
  }
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`${method}: options must be an object`);
  }
  if (options !== undefined && keys !== null) {
    refuseUnknownKeys(options, keys, method, keys === SEND_KEYS ? "option" : "key");
  }
  const local = options?.localAddr ?? undefined;
  if (local !== undefined) {
    if (typeof local !== "object" || local === null) {
      throw new TypeError(`${method}: localAddr must be an object with hostname and/or interfaceIndex`);
    }
    if (local.hostname !== undefined && typeof local.hostname !== "string") {
      throw new TypeError(`${method}: localAddr.hostname must be a string`);
    }
    const i = local.interfaceIndex;
    if (i !== undefined && (!Number.isInteger(i) || i < 0 || i > 0xffffffff)) {
      throw new RangeError(
        `${method}: localAddr.interfaceIndex must be an integer from 0 to 4294967295, got ${describe(i)}`,
      );
    }
  }
  const hop = options?.hopLimit;
  if (hop !== undefined && (!Number.isInteger(hop) || hop < 1 || hop > 255)) {
    throw new RangeError(`${method}: hopLimit must be an integer from 1 to 255, got ${describe(hop)}`);
  }
  const ecn = options?.ecn;
  if (ecn !== undefined && (typeof ecn !== "number" || !Number.isInteger(ecn) || ecn < 0 || ecn > 3)) {
    throw new RangeError(`${method}: ecn must be an ECN codepoint from 0 to 3, got ${describe(ecn)}`);
  }
  const dscp = options?.dscp;
  if (dscp !== undefined) {
    if (typeof dscp !== "number" || !Number.isInteger(dscp) || dscp < 0 || dscp > 63) {
      throw new RangeError(`${method}: dscp must be an integer from 0 to 63, got ${describe(dscp)}`);
    }
    if (!context.perDatagramDscp) {
      // Windows takes DSCP only through its QoS API; ECN it takes per datagram.
      throw new TypeError(
        `${method}: dscp cannot be set per datagram on this system (Windows takes DSCP only through its QoS API); ecn can`,
      );
    }
  }
  const segment = options?.segmentSize;
  if (
    segment !== undefined &&
    (typeof segment !== "number" || !Number.isInteger(segment) || segment < 1 || segment > MAX_DATAGRAM)
  ) {
    throw new RangeError(
      `${method}: segmentSize must be an integer from 1 to ${MAX_DATAGRAM}, got ${describe(segment)}`,
    );
  }
  out.data = data;
  out.to = remoteAddr ?? null;
  out.source = local;
  out.hopLimit = hop;
  out.trafficClass = ecn === undefined && dscp === undefined ? undefined : ((dscp ?? 0) << 2) | (ecn ?? 0);
  // Data that fits one segment is one ordinary datagram.
  out.segmentSize = segment !== undefined && data.length > segment ? segment : undefined;
}

/**
 * Checks every message of a batch fully — data, destination (numeric hostname, port), source (of the
 * destination's family), options — before anything is sent; the errors name `messages[i]`. Returns the
 * batch as transmits holding the caller's objects (what has to wait is copied when it is queued).
 *
 * @example
 * ```ts
 * import { checkBatchSend } from "./checks.ts";
 * const to = { hostname: "127.0.0.1", port: 9 };
 * const context = { peer: null, ipv6: false, perDatagramDscp: true };
 * console.log(checkBatchSend([{ data: new Uint8Array(1), remoteAddr: to }], context, "sendMsgs").length); // 1
 * ```
 */
export function checkBatchSend(
  messages: readonly OutgoingMessage[],
  context: SendContext,
  method: string,
): Transmit[] {
  if (!Array.isArray(messages)) {
    throw new TypeError(`${method}: messages must be an array of { data, remoteAddr, ... }, got ${describe(messages)}`);
  }
  const out: Transmit[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const label = `${method}: messages[${i}]`;
    if (typeof m !== "object" || m === null) throw new TypeError(`${label} must be an object with data and remoteAddr`);
    if ((m as SendOptions).segmentSize !== undefined) {
      throw new TypeError(`${label}.segmentSize is not taken here; send a segmented buffer with sendMsg`);
    }
    const t: MutableTransmit = {
      data: m.data,
      to: null,
      source: undefined,
      hopLimit: undefined,
      trafficClass: undefined,
      segmentSize: undefined,
    };
    // A received message may be sent on as it is (its other fields are what it reports, not options).
    checkSend(m.data, m.remoteAddr, m, context, label, t, m instanceof ReceivedMessage ? null : MESSAGE_KEYS);
    const toIPv4 = checkDestination(t.to ?? context.peer!, context.ipv6, label);
    if (t.source?.hostname !== undefined) checkSource(t.source, toIPv4, label);
    out[i] = t;
  }
  return out;
}

/** A destination the backend can write: numeric hostname, port in range. Returns whether it travels over IPv4. */
function checkDestination(to: { hostname: string; port: number }, socketIPv6: boolean, label: string): boolean {
  const port = to.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${label}.remoteAddr.port must be an integer from 0 to 65535, got ${describe(port)}`);
  }
  const host = stripBrackets(to.hostname);
  if (ipv4Bits(host) < 0 && parseIPv6Into(host, V6, 0) < 0) {
    throw new TypeError(
      `${label}.remoteAddr.hostname must be a numeric IPv4 or IPv6 address (this call takes numbers: send(), listenDatagram and connectDatagram look names up), got ${
        JSON.stringify(to.hostname)
      }`,
    );
  }
  return destination(host, socketIPv6).ipv4;
}

/** A source address of the destination's family (a v4-mapped one counts as IPv4), its zone agreeing with the index. */
function checkSource(source: { hostname?: string; interfaceIndex?: number }, toIPv4: boolean, label: string): void {
  const host = stripBrackets(source.hostname!);
  const zone = toIPv4 ? 0 : parseIPv6Into(host, V6, 0);
  const ok = toIPv4 ? ipv4Bits(host.startsWith("::ffff:") ? host.slice(7) : host) >= 0 : zone >= 0;
  if (!ok) {
    const family = toIPv4 ? "IPv4" : "IPv6";
    throw new TypeError(
      `${label}.localAddr.hostname must be a numeric ${family} address for an ${family} destination, got ${
        JSON.stringify(source.hostname)
      }`,
    );
  }
  const index = source.interfaceIndex;
  if (zone !== 0 && index !== undefined && index !== 0 && index !== zone) {
    throw new RangeError(
      `${label}.localAddr: the zone of ${
        JSON.stringify(source.hostname)
      } names interface ${zone}, but interfaceIndex is ${index}`,
    );
  }
}
