/**
 * Control messages (`WSACMSGHDR` and its data) in a control buffer: the macros of `mswsock.h` as
 * functions over offsets, a walker that never reads outside the buffer, and a builder.
 *
 * Offsets here are relative to the start of the control buffer (what `WSAMSG.Control.buf` points to).
 *
 * @module
 */
import { alignUp } from "./layout.ts";
import { WIN } from "./windows.ts";

const HDR = WIN.WSACMSGHDR;

/**
 * How a platform lays out control-message headers: the header size, the width of `cmsg_len`, and the
 * alignment of headers and data.
 */
export interface CmsgFormat {
  /** Bytes of the header (cmsg_len, cmsg_level, cmsg_type). */
  readonly headerSize: number;
  /** The size of cmsg_len: 8 on 64-bit Windows and Linux, 4 on Darwin. */
  readonly lenSize: 4 | 8;
  /** The alignment of headers and data. */
  readonly align: number;
}

/**
 * Windows x64/arm64 and 64-bit Linux: a 16-byte header, a 64-bit `cmsg_len`, 8-byte alignment.
 *
 * @example
 * ```ts
 * import { CMSG_LP64 } from "@recvmsg/recvmsg/structs";
 * console.log(CMSG_LP64.headerSize); // 16
 * ```
 */
export const CMSG_LP64: CmsgFormat = { headerSize: 16, lenSize: 8, align: 8 };

/**
 * Darwin: a 12-byte header, a 32-bit `cmsg_len` (`socklen_t`), 4-byte alignment (`__DARWIN_ALIGN32`).
 *
 * @example
 * ```ts
 * import { CMSG_DARWIN } from "@recvmsg/recvmsg/structs";
 * console.log(CMSG_DARWIN.headerSize); // 12
 * ```
 */
export const CMSG_DARWIN: CmsgFormat = { headerSize: 12, lenSize: 4, align: 4 };

/**
 * CMSG_SPACE of a format: the bytes one message with `length` bytes of data takes.
 *
 * @example
 * ```ts
 * import { CMSG_DARWIN, cmsgSpace } from "@recvmsg/recvmsg/structs";
 * console.log(cmsgSpace(12), cmsgSpace(12, CMSG_DARWIN)); // 32 24
 * ```
 */
export function cmsgSpace(length: number, format: CmsgFormat = CMSG_LP64): number {
  return alignUp(format.headerSize, format.align) + alignUp(length, format.align);
}

/**
 * CMSG_LEN of a format: the `cmsg_len` of a message with `length` bytes of data.
 *
 * @example
 * ```ts
 * import { CMSG_DARWIN, cmsgLen } from "@recvmsg/recvmsg/structs";
 * console.log(cmsgLen(20), cmsgLen(20, CMSG_DARWIN)); // 36 32
 * ```
 */
export function cmsgLen(length: number, format: CmsgFormat = CMSG_LP64): number {
  return alignUp(format.headerSize, format.align) + length;
}
/** `TYPE_ALIGNMENT(WSACMSGHDR)`: 8 on 64-bit Windows. */
const HDR_ALIGNMENT = HDR.align;
/** `MAX_NATURAL_ALIGNMENT`: `sizeof(ULONGLONG)` on 64-bit Windows. */
const MAX_NATURAL_ALIGNMENT = 8;

/**
 * `WSA_CMSGHDR_ALIGN(length)`: rounds up to the header's alignment.
 *
 * @example
 * ```ts
 * import { WSA_CMSGHDR_ALIGN } from "@recvmsg/recvmsg/structs";
 * console.log(WSA_CMSGHDR_ALIGN(20)); // 24
 * ```
 */
export function WSA_CMSGHDR_ALIGN(length: number): number {
  return alignUp(length, HDR_ALIGNMENT);
}

/**
 * `WSA_CMSGDATA_ALIGN(length)`: rounds up to the largest natural alignment.
 *
 * @example
 * ```ts
 * import { WSA_CMSGDATA_ALIGN } from "@recvmsg/recvmsg/structs";
 * console.log(WSA_CMSGDATA_ALIGN(17)); // 24
 * ```
 */
export function WSA_CMSGDATA_ALIGN(length: number): number {
  return alignUp(length, MAX_NATURAL_ALIGNMENT);
}

/**
 * `WSA_CMSG_FIRSTHDR(msg)`: the offset of the first header (0), or null when `Control.len` cannot hold one.
 *
 * @example
 * ```ts
 * import { WSA_CMSG_FIRSTHDR } from "@recvmsg/recvmsg/structs";
 * console.log(WSA_CMSG_FIRSTHDR(24), WSA_CMSG_FIRSTHDR(8)); // 0 null
 * ```
 */
export function WSA_CMSG_FIRSTHDR(controlLen: number): number | null {
  return controlLen >= HDR.size ? 0 : null;
}

/** Reads `cmsg_len` (a SIZE_T); a value too large for a JS number becomes Infinity. */
function readCmsgLen(view: DataView, offset: number, lenSize: 4 | 8 = 8): number {
  if (lenSize === 4) return view.getUint32(offset, true);
  const low = view.getUint32(offset, true);
  const high = view.getUint32(offset + 4, true);
  return high === 0 ? low : high < 0x200000 ? high * 2 ** 32 + low : Infinity;
}

/**
 * `WSA_CMSG_NXTHDR(msg, cmsg)`, exactly as the macro computes it: with `offset` null, the first
 * header; otherwise the next one, or null when another header would not fit in `controlLen`.
 * Like the macro it trusts `cmsg_len` (a zero length returns the same offset again); walk untrusted
 * buffers with {@link controlMessages} instead.
 *
 * @example
 * ```ts
 * import { buildControlMessages, WSA_CMSG_NXTHDR } from "@recvmsg/recvmsg/structs";
 * const buf = buildControlMessages([{ level: 0, type: 19, data: new Uint8Array(8) }, { level: 0, type: 4, data: new Uint8Array(4) }]);
 * const v = new DataView(buf.buffer);
 * console.log(WSA_CMSG_NXTHDR(v, buf.length, 0)); // 24
 * ```
 */
export function WSA_CMSG_NXTHDR(view: DataView, controlLen: number, offset: number | null): number | null {
  if (offset === null) return WSA_CMSG_FIRSTHDR(controlLen);
  const next = offset + WSA_CMSGHDR_ALIGN(readCmsgLen(view, offset));
  return next + HDR.size > controlLen ? null : next;
}

/**
 * `WSA_CMSG_DATA(cmsg)`: the offset of a message's data.
 *
 * @example
 * ```ts
 * import { WSA_CMSG_DATA } from "@recvmsg/recvmsg/structs";
 * console.log(WSA_CMSG_DATA(24)); // 40
 * ```
 */
export function WSA_CMSG_DATA(offset: number): number {
  return offset + WSA_CMSGDATA_ALIGN(HDR.size);
}

/**
 * `WSA_CMSG_SPACE(length)`: the bytes a message with `length` bytes of data takes in the buffer, padding included.
 *
 * @example
 * ```ts
 * import { WSA_CMSG_SPACE } from "@recvmsg/recvmsg/structs";
 * console.log(WSA_CMSG_SPACE(8), WSA_CMSG_SPACE(20)); // 24 40
 * ```
 */
export function WSA_CMSG_SPACE(length: number): number {
  return WSA_CMSGDATA_ALIGN(HDR.size + WSA_CMSGHDR_ALIGN(length));
}

/**
 * `WSA_CMSG_LEN(length)`: the `cmsg_len` of a message with `length` bytes of data.
 *
 * @example
 * ```ts
 * import { WSA_CMSG_LEN } from "@recvmsg/recvmsg/structs";
 * console.log(WSA_CMSG_LEN(20)); // 36
 * ```
 */
export function WSA_CMSG_LEN(length: number): number {
  return WSA_CMSGDATA_ALIGN(HDR.size) + length;
}

/** One control message: its level and type, and a view of its data (no copy). */
export interface ControlMessage {
  /** cmsg_level: the protocol (IPPROTO_IP, IPPROTO_IPV6, ...). */
  readonly level: number;
  /** cmsg_type: the record's kind within its level. */
  readonly type: number;
  /** The record's data bytes. */
  readonly data: Uint8Array;
}

/**
 * A control buffer that cannot be walked safely: a header whose `cmsg_len` is smaller than the
 * header itself, or reaches past the length the call reported. The walk ends at `offset`.
 *
 * @example
 * ```ts
 * import { ControlMessageError, controlMessages } from "@recvmsg/recvmsg/structs";
 * try { [...controlMessages(new Uint8Array(16), 16)]; } catch (e) { console.log(e instanceof ControlMessageError); } // true
 * ```
 */
export class ControlMessageError extends Error {
  /** Where the bad header starts, from the start of the control buffer. */
  readonly offset: number;
  /** `"short"` (cmsg_len below the header size) or `"overrun"` (past the reported length). */
  readonly reason: "short" | "overrun";
  /** Describes a record header that is short or overruns the buffer. */
  constructor(offset: number, reason: "short" | "overrun", cmsgLen: number, length: number, headerSize = HDR.size) {
    super(
      reason === "short"
        ? `malformed control data: cmsg_len ${cmsgLen} at offset ${offset} is smaller than the ${headerSize}-byte header`
        : `malformed control data: cmsg_len ${cmsgLen} at offset ${offset} runs past the ${length} bytes of control data`,
    );
    this.name = "ControlMessageError";
    this.offset = offset;
    this.reason = reason;
  }
}

/**
 * Visits each control message without allocating: `visit(level, type, dataOffset, dataLength)`, offsets
 * from the start of `view`. Reads only the first `length` bytes (`Control.len` as the call updated it)
 * and never past the view. Returns null after a clean walk, or the {@link ControlMessageError} that ended it.
 *
 * @example
 * ```ts
 * import { buildControlMessages, visitControlMessages } from "@recvmsg/recvmsg/structs";
 * const buf = buildControlMessages([{ level: 0, type: 19, data: new Uint8Array(8) }]);
 * visitControlMessages(new DataView(buf.buffer), buf.length, (level, type, at, len) => console.log(level, type, at, len)); // 0 19 16 8
 * ```
 */
export function visitControlMessages(
  view: DataView,
  length: number,
  visit: (level: number, type: number, dataOffset: number, dataLength: number) => void,
  format: CmsgFormat = CMSG_LP64,
): ControlMessageError | null {
  const end = Math.min(length, view.byteLength);
  const { headerSize, lenSize, align } = format;
  // Level and type follow cmsg_len in every layout; data starts at the aligned header size.
  const dataAt = alignUp(headerSize, align);
  let offset = 0;
  while (offset + headerSize <= end) {
    const cmsgLen = readCmsgLen(view, offset, lenSize);
    if (cmsgLen < headerSize) return new ControlMessageError(offset, "short", cmsgLen, end, headerSize);
    if (cmsgLen > end - offset) return new ControlMessageError(offset, "overrun", cmsgLen, end, headerSize);
    visit(
      view.getInt32(offset + lenSize, true),
      view.getInt32(offset + lenSize + 4, true),
      offset + dataAt,
      cmsgLen - dataAt,
    );
    offset += alignUp(cmsgLen, align);
  }
  return null;
}

/**
 * Iterates the control messages in the first `length` bytes of `buffer`. Data are views into `buffer`.
 * A malformed header ends the walk with a {@link ControlMessageError} (never a RangeError), or, with
 * `{ onMalformed: "stop" }`, just ends it.
 *
 * @example
 * ```ts
 * import { buildControlMessages, controlMessages } from "@recvmsg/recvmsg/structs";
 * const buf = buildControlMessages([{ level: 41, type: 19, data: new Uint8Array(20) }]);
 * for (const m of controlMessages(buf, buf.length)) console.log(m.level, m.type, m.data.length); // 41 19 20
 * ```
 */
export function* controlMessages(
  buffer: Uint8Array,
  length: number = buffer.length,
  options: { onMalformed?: "throw" | "stop" } = {},
): Generator<ControlMessage, void, undefined> {
  const found: ControlMessage[] = [];
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const error = visitControlMessages(view, length, (level, type, at, len) => {
    found.push({ level, type, data: buffer.subarray(at, at + len) });
  });
  yield* found;
  if (error && options.onMalformed !== "stop") throw error;
}

/**
 * The control buffer size that holds messages with these data lengths (the sum of their `WSA_CMSG_SPACE`).
 *
 * @example
 * ```ts
 * import { controlSpace } from "@recvmsg/recvmsg/structs";
 * console.log(controlSpace([8, 20])); // 64
 * ```
 */
export function controlSpace(dataLengths: readonly number[], format: CmsgFormat = CMSG_LP64): number {
  let total = 0;
  for (const n of dataLengths) total += cmsgSpace(n, format);
  return total;
}

/**
 * Writes control messages into `target` at `offset`, each with its header and padding as Windows
 * lays them out, and returns the bytes written (what goes in `Control.len`). Throws a RangeError
 * naming `target` when it is too small.
 *
 * @example
 * ```ts
 * import { writeControlMessages } from "@recvmsg/recvmsg/structs";
 * const target = new Uint8Array(64);
 * console.log(writeControlMessages(target, 0, [{ level: 0, type: 19, data: new Uint8Array(8) }])); // 24
 * ```
 */
export function writeControlMessages(
  target: Uint8Array,
  offset: number,
  messages: readonly ControlMessage[],
  format: CmsgFormat = CMSG_LP64,
): number {
  const need = controlSpace(messages.map((m) => m.data.length), format);
  if (offset < 0 || offset + need > target.length) {
    throw new RangeError(
      `target is too small for the control messages: ${need} bytes needed at offset ${offset}, ${target.length} available`,
    );
  }
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  let at = offset;
  const { lenSize } = format;
  for (const m of messages) {
    const space = cmsgSpace(m.data.length, format);
    target.fill(0, at, at + space);
    if (lenSize === 8) view.setBigUint64(at, BigInt(cmsgLen(m.data.length, format)), true);
    else view.setUint32(at, cmsgLen(m.data.length, format), true);
    view.setInt32(at + lenSize, m.level, true);
    view.setInt32(at + lenSize + 4, m.type, true);
    target.set(m.data, at + alignUp(format.headerSize, format.align));
    at += space;
  }
  return at - offset;
}

/**
 * Builds a control buffer holding these messages, sized exactly.
 *
 * @example
 * ```ts
 * import { buildControlMessages } from "@recvmsg/recvmsg/structs";
 * console.log(buildControlMessages([{ level: 0, type: 19, data: new Uint8Array(8) }]).length); // 24
 * ```
 */
export function buildControlMessages(messages: readonly ControlMessage[], format: CmsgFormat = CMSG_LP64): Uint8Array {
  const out = new Uint8Array(controlSpace(messages.map((m) => m.data.length), format));
  writeControlMessages(out, 0, messages, format);
  return out;
}

/**
 * What Linux's `put_cmsg` leaves in a control buffer of only `limit` bytes, given the control
 * messages a larger buffer received (`length` bytes at `from` in `source`): they are copied one by
 * one into `target`; the first that does not fit whole is cut to what is left (its `cmsg_len` saying
 * so), and a message whose header does not fit is dropped. Returns the bytes written (the
 * `msg_controllen` the kernel would report) and whether anything was cut or dropped (MSG_CTRUNC: a last
 * message whose data fits but whose alignment padding does not is not cut, as in the kernel).
 * A read-ahead receive uses it to give a later call with a smaller `controlSize` what its own system
 * call would have given.
 *
 * @example
 * ```ts
 * import { buildControlMessages, truncateControl } from "@recvmsg/recvmsg/structs";
 * const full = buildControlMessages([{ level: 0, type: 8, data: new Uint8Array(12) }, { level: 0, type: 2, data: new Uint8Array(4) }]);
 * const cut = new Uint8Array(40);
 * console.log(full.length, truncateControl(full, 0, full.length, cut, 40)); // 56 { length: 32, truncated: true }
 * ```
 */
export function truncateControl(
  source: Uint8Array,
  from: number,
  length: number,
  target: Uint8Array,
  limit: number,
  format: CmsgFormat = CMSG_LP64,
): { length: number; truncated: boolean } {
  const view = new DataView(source.buffer, source.byteOffset + from, Math.min(length, source.length - from));
  const out = new DataView(target.buffer, target.byteOffset, target.byteLength);
  const { headerSize, lenSize, align } = format;
  const end = view.byteLength;
  let offset = 0;
  let written = 0;
  let left = Math.min(limit, target.length);
  let truncated = false;
  while (offset + headerSize <= end) {
    const cmsgLen = readCmsgLen(view, offset, lenSize);
    if (cmsgLen < headerSize || cmsgLen > end - offset) break;
    if (left < headerSize) {
      truncated = true;
      break;
    }
    if (cmsgLen > left) truncated = true;
    const cut = Math.min(cmsgLen, left);
    target.set(source.subarray(from + offset, from + offset + cut), written);
    if (lenSize === 4) out.setUint32(written, cut, true);
    else {
      out.setUint32(written, cut, true);
      out.setUint32(written + 4, 0, true);
    }
    const step = Math.min(alignUp(cmsgLen, align), left);
    written += step;
    left -= step;
    offset += alignUp(cmsgLen, align);
  }
  return { length: written, truncated };
}
