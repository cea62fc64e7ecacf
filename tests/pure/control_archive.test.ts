// Copies and compares of received bytes four at a time (ffi/common/control_archive.ts, and the decoder's
// repeat check in structs/ancillary.ts): the same bytes as the plain loop at every alignment and length,
// the plain loop wherever words cannot serve, a kept control record shared only when every byte is the
// same, and a decoder that keeps its fields only for the very same bytes; a reused message's own
// control store, and the sender cache's compare of names.
import { describe, expect, it } from "vitest";
import { ControlArchive, copyBytes, keepControl, WordsCache, wordsOf } from "../../ffi/common/control_archive.ts";
import { RemoteAddrCache } from "../../ffi/common/remote_addr.ts";
import { AncillaryDecoder, LINUX_DIALECT } from "../../structs/ancillary.ts";
import { buildControlMessages } from "../../structs/cmsg.ts";
import { LINUX, LNX } from "../../structs/linux.ts";
import { encodeSockaddr } from "../../structs/sockaddr.ts";

const pattern = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed * 7 + 1) & 0xff);

describe("copyBytes", () => {
  it("copies exactly the bytes asked for, with and without words, at every offset and length", () => {
    const source = pattern(1024, 1);
    const sourceWords = wordsOf(source);
    for (const length of [0, 1, 3, 4, 5, 31, 32, 33, 64, 67, 256, 512, 513, 700]) {
      for (const at of [0, 1, 2, 3, 4, 8]) {
        for (const from of [0, 1, 4, 12]) {
          const plain = new Uint8Array(1024).fill(0xee);
          const fast = new Uint8Array(1024).fill(0xee);
          copyBytes(plain, at, source, from, length);
          copyBytes(fast, at, source, from, length, wordsOf(fast), sourceWords);
          expect(fast).toEqual(plain);
          expect(fast.subarray(at, at + length)).toEqual(source.subarray(from, from + length));
          // Nothing outside the range is touched.
          expect(fast[at + length]).toBe(0xee);
          if (at > 0) expect(fast[at - 1]).toBe(0xee);
        }
      }
    }
  });

  it("copies the last bytes of a buffer whose length is no multiple of 4", () => {
    const target = new Uint8Array(67);
    const source = pattern(67, 2);
    copyBytes(target, 0, source, 0, 67, wordsOf(target), wordsOf(source));
    expect(target).toEqual(source);
  });
});

describe("wordsOf", () => {
  it("covers the same bytes, and is null for a start not 4-aligned or a buffer that can resize", () => {
    const bytes = new Uint8Array(new ArrayBuffer(40), 8, 30);
    const words = wordsOf(bytes)!;
    expect(words.byteOffset).toBe(8);
    expect(words.length).toBe(7);
    words[0] = -1;
    expect([...bytes.subarray(0, 4)]).toEqual([255, 255, 255, 255]);
    expect(wordsOf(new Uint8Array(16).subarray(2))).toBeNull();
    expect(wordsOf(new Uint8Array(new ArrayBuffer(16, { maxByteLength: 64 })))).toBeNull();
    expect(wordsOf(new Uint8Array(new SharedArrayBuffer(16, { maxByteLength: 64 } as never)))).toBeNull();
  });

  it("a cache answers again for the same array, anew for another", () => {
    const cache = new WordsCache();
    const a = new Uint8Array(64);
    const b = new Uint8Array(64);
    expect(cache.of(a)).toBe(cache.of(a));
    expect(cache.of(b)!.buffer).toBe(b.buffer);
    expect(cache.of(a.subarray(1))).toBeNull();
  });
});

describe("ControlArchive.keep", () => {
  it("shares a record only when every byte is the same, wherever the difference lies", () => {
    const archive = new ControlArchive();
    const source = new Uint8Array(256);
    const sourceWords = wordsOf(source);
    for (const words of [null, sourceWords]) {
      for (const length of [1, 7, 28, 32, 33]) {
        source.set(pattern(length, length), 64);
        const first = archive.keep(source, length, 64, words);
        expect(archive.keep(source, length, 64, words)).toBe(first);
        for (let i = 0; i < length; i++) {
          source[64 + i] ^= 0x40;
          const at = archive.keep(source, length, 64, words);
          expect(at, `a difference at byte ${i} of ${length}`).not.toBe(first);
          expect(archive.chunk.subarray(at, at + length)).toEqual(source.subarray(64, 64 + length));
          source[64 + i] ^= 0x40;
          // Back to the first bytes: a new record again (only the last one is compared).
          const again = archive.keep(source, length, 64, words);
          expect(archive.chunk.subarray(again, again + length)).toEqual(source.subarray(64, 64 + length));
        }
      }
    }
  });

  it("records kept earlier are never overwritten, across chunks", () => {
    const archive = new ControlArchive();
    const kept: [Uint8Array, number, Uint8Array][] = [];
    const source = new Uint8Array(64);
    for (let n = 0; n < 400; n++) {
      source.set(pattern(32, n));
      const at = archive.keep(source, 32, 0, wordsOf(source));
      kept.push([archive.chunk, at, source.slice(0, 32)]);
    }
    for (const [chunk, at, bytes] of kept) expect(chunk.subarray(at, at + 32)).toEqual(bytes);
  });
});

describe("AncillaryDecoder: repeated control bytes", () => {
  // Linux records: IP_PKTINFO (ifindex, spec_dst, addr), then IP_TTL and IP_TOS as ints.
  const record = (addr: number[], ttl: number, tos: number, ifindex = 1) => {
    const p = new Uint8Array(LNX.in_pktinfo.size);
    const v = new DataView(p.buffer);
    v.setUint32(LNX.in_pktinfo.fields.ipi_ifindex.offset, ifindex, true);
    p.set(addr, LNX.in_pktinfo.fields.ipi_spec_dst.offset);
    p.set(addr, LNX.in_pktinfo.fields.ipi_addr.offset);
    return buildControlMessages([
      { level: LINUX.IPPROTO_IP, type: LINUX.IP_PKTINFO, data: p },
      { level: LINUX.IPPROTO_IP, type: LINUX.IP_TTL, data: new Uint8Array(new Int32Array([ttl]).buffer) },
      { level: LINUX.IPPROTO_IP, type: LINUX.IP_TOS, data: new Uint8Array([tos]) },
    ]);
  };
  const fields = (d: AncillaryDecoder) => [d.local4?.hostname, d.local4?.interfaceIndex, d.hopLimit, d.ecn];

  it("decodes each buffer as a fresh decoder would, a repeat or a change in any byte", () => {
    const base = record([10, 0, 0, 1], 64, 2);
    const area = new Uint8Array(256);
    const d = new AncillaryDecoder(LINUX_DIALECT);
    // The same area at two offsets, as the read-ahead's slots are.
    area.set(base, 0);
    area.set(base, 128);
    expect(fields(d.decode(area, base.length, 0))).toEqual(["10.0.0.1", 1, 64, 2]);
    const first = d.local4;
    expect(fields(d.decode(area, base.length, 128))).toEqual(["10.0.0.1", 1, 64, 2]);
    expect(d.local4).toBe(first);
    const variants = [
      record([10, 0, 0, 2], 64, 2),
      record([10, 0, 0, 1], 63, 2),
      record([10, 0, 0, 1], 64, 1),
      record([10, 0, 0, 1], 64, 2, 3),
    ];
    for (const v of variants) {
      area.set(v, 128);
      const fresh = new AncillaryDecoder(LINUX_DIALECT).decode(v, v.length);
      expect(fields(d.decode(area, v.length, 128))).toEqual(fields(fresh as AncillaryDecoder));
      area.set(base, 128);
      expect(fields(d.decode(area, base.length, 128))).toEqual(["10.0.0.1", 1, 64, 2]);
    }
    // A malformed buffer of the same length after a good one: its error is reported, not the last fields.
    const bad = base.slice();
    new DataView(bad.buffer).setUint32(0, 9999, true);
    area.set(bad, 128);
    expect(d.decode(area, bad.length, 128).error).not.toBeNull();
    expect(d.local4).toBeNull();
    expect(d.decode(area, bad.length, 128).error).not.toBeNull();
  });
});

describe("keepControl into a reused message's store", () => {
  it("copies every byte, four at a time where it can, whatever the length and offset, and grows the store", () => {
    let store: { bytes: Uint8Array; words: Int32Array } | null = null;
    const message = {
      _controlStore(length: number) {
        if (store === null || store.bytes.length < length) {
          const buffer = new ArrayBuffer(Math.max((length + 7) & ~7, 256));
          store = { bytes: new Uint8Array(buffer), words: new Int32Array(buffer) };
        }
        return store;
      },
    };
    const source = new Uint8Array(2048);
    for (const words of [null, wordsOf(source)]) {
      for (const length of [1, 3, 4, 28, 32, 33, 255, 257, 600]) {
        for (const from of [0, 8, 13]) {
          source.set(pattern(length, length + from), from);
          const kept = keepControl(new ControlArchive(), message, source, length, from, words);
          expect(kept.at).toBe(0);
          expect(kept.chunk).toBe(store!.bytes);
          expect(kept.chunk!.subarray(0, length), `${length} bytes from ${from}`).toEqual(
            source.subarray(from, from + length),
          );
        }
      }
    }
    expect(store!.bytes.length).toBeGreaterThanOrEqual(600);
  });
});

describe("RemoteAddrCache", () => {
  const families = { inet: 2, inet6: 10 };
  const name = (view: DataView, at: number, hostname: string, port: number) =>
    encodeSockaddr(view, at, { hostname, port }, families);

  for (const offset of [0, 8, 2]) {
    it(`decodes a sender once, and anew for a change in any byte of its name (names at offset ${offset})`, () => {
      const arena = new ArrayBuffer(offset + 4 * 32);
      const view = new DataView(arena, offset);
      const cache = new RemoteAddrCache(arena, offset, families, 4 * 32);
      const senders: [string, number][] = [["10.0.0.1", 5353], ["fd00::1", 53], ["::ffff:10.0.0.9", 9]];
      for (const [hostname, port] of senders) {
        const len = name(view, 32, hostname, port);
        const first = cache.get(len, 32);
        const shown = hostname.startsWith("::ffff:") ? hostname.slice(7) : hostname;
        expect(first).toEqual({ transport: "udp", hostname: shown, port });
        // The same bytes in another slot: the same object.
        new Uint8Array(arena, offset + 64, len).set(new Uint8Array(arena, offset + 32, len));
        expect(cache.get(len, 64)).toBe(first);
        for (let i = 0; i < len; i++) {
          const bytes = new Uint8Array(arena, offset + 64, len);
          bytes[i] ^= 1;
          const other = cache.get(len, 64);
          expect(other, `${hostname}: byte ${i} changed`).not.toBe(first);
          bytes[i] ^= 1;
          expect(cache.get(len, 64), `${hostname}: byte ${i} restored`).toEqual(first);
        }
      }
      // A port of its own for each sender of one address.
      name(view, 0, "10.0.0.1", 1000);
      name(view, 32, "10.0.0.1", 1001);
      expect(cache.get(16, 0).port).toBe(1000);
      expect(cache.get(16, 32).port).toBe(1001);
      expect(cache.get(16, 0).port).toBe(1000);
    });
  }
});
