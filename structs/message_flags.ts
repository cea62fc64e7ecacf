/**
 * The output flags of a receive (`msg_flags` / WSAMSG `dwFlags`) as each system numbers them: a
 * message's `flags` holds the system's own bits, so the values a caller tests them with must be that
 * system's too. Linux and macOS have no MSG_BCAST / MSG_MCAST: their entries are 0, so
 * `flags & MSG_BCAST` is 0 there and never wrong; `msg.broadcast` / `msg.multicast` are the portable way.
 *
 * Linux's values are proven against glibc's headers by gcc (tests/pure/message_flags_c.test.ts, and
 * the LINUX table by tests/pure/layout_linux_c.test.ts), Windows' against mingw-w64's
 * (tests/pure/layout_c.test.ts), macOS's held to XNU's bsd/sys/socket.h (tests/pure/darwin.test.ts).
 *
 * @module
 */
import { MSG_BCAST, MSG_CTRUNC, MSG_MCAST, MSG_PEEK, MSG_TRUNC } from "./constants.ts";
import { DARWIN } from "./darwin.ts";
import { LINUX } from "./linux.ts";

/**
 * The receive flags of one system. A flag the system does not have is 0.
 *
 * @example
 * ```ts
 * import { messageFlagsFor, type MessageFlags } from "@recvmsg/recvmsg/structs";
 * const linux: MessageFlags = messageFlagsFor("linux");
 * console.log(linux.MSG_TRUNC, linux.MSG_BCAST); // 32 0
 * ```
 */
export interface MessageFlags {
  /** Input: leave the datagram queued. 0x2 on every system here. */
  readonly MSG_PEEK: number;
  /** Output: the datagram was larger than the buffer and was cut. */
  readonly MSG_TRUNC: number;
  /** Output: the control data did not fit and was cut. */
  readonly MSG_CTRUNC: number;
  /** Output: received as a link-layer broadcast (Windows only; 0 elsewhere). */
  readonly MSG_BCAST: number;
  /** Output: received as a link-layer multicast (Windows only; 0 elsewhere). */
  readonly MSG_MCAST: number;
}

/**
 * Linux (glibc `<sys/socket.h>`): MSG_TRUNC 0x20, MSG_CTRUNC 0x8; no MSG_BCAST / MSG_MCAST.
 *
 * @example
 * ```ts
 * import { LINUX_MESSAGE_FLAGS } from "@recvmsg/recvmsg/structs";
 * console.log(LINUX_MESSAGE_FLAGS.MSG_TRUNC.toString(16)); // "20"
 * ```
 */
export const LINUX_MESSAGE_FLAGS: MessageFlags = Object.freeze({
  MSG_PEEK: LINUX.MSG_PEEK,
  MSG_TRUNC: LINUX.MSG_TRUNC,
  MSG_CTRUNC: LINUX.MSG_CTRUNC,
  MSG_BCAST: 0,
  MSG_MCAST: 0,
});

/**
 * macOS (XNU `bsd/sys/socket.h`): MSG_TRUNC 0x10, MSG_CTRUNC 0x20; no MSG_BCAST / MSG_MCAST.
 *
 * @example
 * ```ts
 * import { DARWIN_MESSAGE_FLAGS } from "@recvmsg/recvmsg/structs";
 * console.log(DARWIN_MESSAGE_FLAGS.MSG_CTRUNC.toString(16)); // "20"
 * ```
 */
export const DARWIN_MESSAGE_FLAGS: MessageFlags = Object.freeze({
  MSG_PEEK: DARWIN.MSG_PEEK,
  MSG_TRUNC: DARWIN.MSG_TRUNC,
  MSG_CTRUNC: DARWIN.MSG_CTRUNC,
  MSG_BCAST: 0,
  MSG_MCAST: 0,
});

/**
 * Windows (winsock2.h): MSG_TRUNC 0x100, MSG_CTRUNC 0x200, MSG_BCAST 0x400, MSG_MCAST 0x800.
 *
 * @example
 * ```ts
 * import { WINDOWS_MESSAGE_FLAGS } from "@recvmsg/recvmsg/structs";
 * console.log(WINDOWS_MESSAGE_FLAGS.MSG_BCAST.toString(16)); // "400"
 * ```
 */
export const WINDOWS_MESSAGE_FLAGS: MessageFlags = Object.freeze({
  MSG_PEEK,
  MSG_TRUNC,
  MSG_CTRUNC,
  MSG_BCAST,
  MSG_MCAST,
});

/**
 * The receive flags of a system by `Deno.build.os`'s name (`"linux"`, `"darwin"`, `"windows"`). Any
 * other name gets Windows' values, which is what this module exported everywhere before it knew better
 * (no backend serves such a system anyway).
 *
 * @example
 * ```ts
 * import { messageFlagsFor } from "@recvmsg/recvmsg/structs";
 * console.log(messageFlagsFor("darwin").MSG_TRUNC); // 16
 * ```
 */
export function messageFlagsFor(os: string): MessageFlags {
  if (os === "linux") return LINUX_MESSAGE_FLAGS;
  if (os === "darwin") return DARWIN_MESSAGE_FLAGS;
  return WINDOWS_MESSAGE_FLAGS;
}
