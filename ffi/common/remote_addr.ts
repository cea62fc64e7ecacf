/**
 * The sender address of each received datagram, decoded once per distinct sender: most traffic comes
 * from few peers, so while the name bytes match the last ones the same frozen object is returned.
 *
 * @module
 */
import type { NetAddr } from "../../message.ts";
import { formatIPv4, isV4Mapped } from "../../structs/ip.ts";
import { decodeSockaddr, type Families } from "../../structs/sockaddr.ts";

/** sockaddr_in6.sin6_addr sits at 8 on Windows and Linux alike. */
const SIN6_ADDR = 8;
const SIN6_SIZE = 28;

/**
 * Decodes the `name` a receive filled in, with a one-entry cache. IPv4-mapped senders on a
 * dual-stack socket are given in plain IPv4 form.
 *
 * @example
 * ```ts
 * import { RemoteAddrCache } from "./remote_addr.ts";
 * const cache = new RemoteAddrCache(new ArrayBuffer(128), 0, { inet: 2, inet6: 23 });
 * ```
 */
export class RemoteAddrCache {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #families: Families;
  /** The names as 32-bit words, for compares four at a time; null when `offset` is not 4-aligned. */
  readonly #words: Int32Array | null;
  readonly #last = new Uint8Array(new ArrayBuffer(SIN6_SIZE));
  readonly #lastWords = new Int32Array(this.#last.buffer);
  #lastLen = -1;
  #lastAddr: NetAddr | null = null;
  /** Whether the last sender is an IPv6 peer (not an IPv4 one, even v4-mapped): which packet info applies. */
  lastIsIPv6 = false;

  /** `arena`, `offset` and `size`: where the system writes senders' addresses (one, or one per slot of a batch). */
  constructor(arena: ArrayBuffer, offset: number, families: Families, size = 128) {
    this.#bytes = new Uint8Array(arena, offset, size);
    this.#view = new DataView(arena, offset, size);
    this.#words = (offset & 3) === 0 ? new Int32Array(arena, offset, size >>> 2) : null;
    this.#families = families;
  }

  /** The sender written at `at` (0 for a single receive), whose name is `nameLen` bytes long. */
  get(nameLen: number, at = 0): NetAddr {
    const len = Math.min(nameLen, SIN6_SIZE);
    const bytes = this.#bytes;
    if (len === this.#lastLen && this.#lastAddr) {
      // Four bytes at a time where the names allow (sockaddr_in is 16 bytes, sockaddr_in6 28), the rest one by one.
      const words = this.#words;
      let i = 0;
      if (words !== null && (at & 3) === 0) {
        const last = this.#lastWords;
        const w0 = at >>> 2;
        let w = 0;
        while (w < len >>> 2 && words[w0 + w] === last[w]) w++;
        i = w << 2;
      }
      while (i < len && bytes[at + i] === this.#last[i]) i++;
      if (i === len) return this.#lastAddr;
    }
    const a = decodeSockaddr(this.#view, at, nameLen, this.#families);
    const hostname = a === null
      ? ""
      : a.family === "IPv6" && isV4Mapped(bytes, at + SIN6_ADDR)
      ? formatIPv4(bytes, at + SIN6_ADDR + 12)
      : a.hostname;
    this.#lastAddr = Object.freeze({ transport: "udp" as const, hostname, port: a?.port ?? 0 });
    this.lastIsIPv6 = hostname.includes(":");
    this.#last.set(bytes.subarray(at, at + len));
    this.#lastLen = len;
    return this.#lastAddr;
  }
}
