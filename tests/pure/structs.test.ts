import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as S from "../../structs/mod.ts";

describe("layouts named by the foundation issue", () => {
  it.each(
    [
      ["WSABUF", 16, { len: 0, buf: 8 }],
      ["WSAMSG", 56, {
        name: 0,
        namelen: 8,
        lpBuffers: 16,
        dwBufferCount: 24,
        Control: 32,
        "Control.len": 32,
        "Control.buf": 40,
        dwFlags: 48,
      }],
      ["WSACMSGHDR", 16, { cmsg_len: 0, cmsg_level: 8, cmsg_type: 12 }],
      ["SOCKADDR_IN", 16, { sin_family: 0, sin_port: 2, sin_addr: 4 }],
      ["SOCKADDR_IN6", 28, { sin6_family: 0, sin6_port: 2, sin6_flowinfo: 4, sin6_addr: 8, sin6_scope_id: 24 }],
      ["SOCKADDR_STORAGE", 128, { ss_family: 0 }],
      ["IN_PKTINFO", 8, { ipi_addr: 0, ipi_ifindex: 4 }],
      ["IN6_PKTINFO", 20, { ipi6_addr: 0, ipi6_ifindex: 16 }],
      ["WSAOVERLAPPED", 32, { Internal: 0, InternalHigh: 8, hEvent: 24 }],
    ] as const,
  )("%s is %i bytes with the documented offsets", (name, size, offsets) => {
    const l = S.WIN[name];
    expect(l.size).toBe(size);
    for (const [path, off] of Object.entries(offsets)) expect(S.offsetOf(l, path), path).toBe(off);
  });

  it("offsetOf names a missing field", () => {
    expect(() => S.offsetOf(S.WIN.WSAMSG, "Control.nope")).toThrow(/WSAMSG has no field 'Control.nope'/);
  });

  it("LP64 differs from LLP64 where C long does", () => {
    expect(S.layout(S.WSABUF, S.UNIX_LP64).fields.len.size).toBe(8);
    expect(S.layout(S.WSABUF, S.WINDOWS_LLP64).fields.len.size).toBe(4);
  });
});

describe("IP text", () => {
  it.each([
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not compressed
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run wins
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // the first of equal runs wins
    ["0:0:0:0:0:0:0:0", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["::ffff:127.0.0.2", "::ffff:127.0.0.2"],
    ["::FFFF:7f00:1", "::ffff:127.0.0.1"],
    ["fe80::1%3", "fe80::1"],
  ])("%s is written %s", (input, canonical) => {
    expect(S.formatIPv6(S.parseIPv6(input)!.bytes)).toBe(canonical);
  });

  it.each([
    "",
    ":",
    ":::",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "::g",
    "1.2.3.4::",
    "fe80::1%eth0",
    "::1%",
    "1:2:3:4:5:6:7::8:9",
  ])(
    "refuses IPv6 %j",
    (t) => expect(S.parseIPv6(t)).toBeNull(),
  );

  it.each(["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", " 1.2.3.4"])(
    "refuses IPv4 %j",
    (t) => {
      expect(S.parseIPv4(t)).toBeNull();
    },
  );

  it("IPv6 text agrees with the WHATWG URL serializer (an independent RFC 5952 writer) and round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 8 }), (bytes, zeros) => {
        bytes.fill(0, 4, 4 + zeros); // make runs of zeros common
        const text = S.formatIPv6(bytes);
        expect(S.parseIPv6(text)!.bytes).toEqual(bytes);
        if (!S.isV4Mapped(bytes)) expect(text).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 2000 },
    );
  });

  it("IPv4 parsing agrees with the plain definition (four parts of 0-255 without leading zeros) on arbitrary text", () => {
    const reference = (t: string) => {
      const parts = t.split(".");
      if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return null;
      return Uint8Array.from(parts.map(Number));
    };
    const text = fc.array(fc.constantFrom("0", "1", "2", "5", "9", ".", ".", "a", " ", "-"), { maxLength: 17 }).map((
      a,
    ) => a.join(""));
    fc.assert(
      fc.property(fc.oneof(text, fc.string()), (t) => {
        expect(S.parseIPv4(t)).toEqual(reference(t));
      }),
      { numRuns: 20000 },
    );
  });

  it("IPv6 parsing agrees with the split-based parser it replaced, and with the WHATWG URL parser, on arbitrary text", () => {
    // The parser every send uses writes into caller memory without allocating; the one it replaced
    // (below, as it was) split strings and is easy to read.
    function referenceIPv6(text: string): { bytes: Uint8Array; scopeId: number } | null {
      let scopeId = 0;
      const pct = text.indexOf("%");
      if (pct >= 0) {
        const zone = text.slice(pct + 1);
        if (!/^[0-9]{1,10}$/.test(zone) || Number(zone) > 0xffffffff) return null;
        scopeId = Number(zone);
        text = text.slice(0, pct);
      }
      const halves = text.split("::");
      if (halves.length > 2) return null;
      const groupsOf = (s: string): number[] | null => {
        if (s === "") return [];
        const out: number[] = [];
        const parts = s.split(":");
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i];
          if (i === parts.length - 1 && p.includes(".")) {
            const v4 = S.parseIPv4(p);
            if (!v4) return null;
            out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
          } else {
            if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
            out.push(parseInt(p, 16));
          }
        }
        return out;
      };
      const head = groupsOf(halves[0]);
      const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
      if (!head || !tail) return null;
      // A dotted part is only allowed at the very end of the address.
      if (halves.length === 2 && halves[0].includes(".")) return null;
      let groups: number[];
      if (halves.length === 2) {
        const missing = 8 - head.length - tail.length;
        if (missing < 1) return null;
        groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
      } else {
        if (head.length !== 8) return null;
        groups = head;
      }
      const bytes = new Uint8Array(16);
      for (let i = 0; i < 8; i++) {
        bytes[2 * i] = groups[i] >> 8;
        bytes[2 * i + 1] = groups[i] & 0xff;
      }
      // A zone belongs to scoped IPv6 addresses; an IPv4 address (v4-mapped) has none.
      if (pct >= 0 && S.isV4Mapped(bytes)) return null;
      return { bytes, scopeId };
    }
    const alphabet = ["0", "1", "f", "F", "g", ":", ":", ":", ".", "2", "5", "%", "9", "a"];
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }).map((a) => a.join(""));
    const shaped = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 8 }), text)
      .map(([b, zeros, tail]) => {
        b.fill(0, 2, 2 + zeros);
        const t = S.formatIPv6(b);
        return t.slice(0, Math.floor(t.length / 2)) + tail.slice(0, 6) + t.slice(Math.floor(t.length / 2));
      });
    const into = new Uint8Array(20);
    fc.assert(
      fc.property(fc.oneof(text, shaped, fc.string()), (t) => {
        const want = referenceIPv6(t);
        expect(S.parseIPv6(t)).toEqual(want);
        into.fill(7);
        const zone = S.parseIPv6Into(t, into, 2);
        expect(zone).toBe(want === null ? -1 : want.scopeId);
        if (want !== null) {
          expect(into.subarray(2, 18)).toEqual(want.bytes);
          expect([into[0], into[1], into[18], into[19]]).toEqual([7, 7, 7, 7]); // nothing written outside
        }
        if (/^[0-9a-fA-F:.]*$/.test(t)) {
          let url: string | null = null;
          try {
            url = new URL(`http://[${t}]/`).hostname;
          } catch { /* not an IPv6 address for URL either */ }
          expect(want !== null).toBe(url !== null);
        }
      }),
      { numRuns: 20000 },
    );
  });

  it("ipv4Bits is the address as a 32-bit number, -1 for what parseIPv4 refuses", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array({ minLength: 4, maxLength: 4 }).map(S.formatIPv4)), (t) => {
        const bytes = S.parseIPv4(t);
        const bits = S.ipv4Bits(t);
        expect(bits).toBe(bytes === null ? -1 : new DataView(bytes.buffer).getUint32(0, false));
      }),
      { numRuns: 5000 },
    );
    expect(S.ipv4Bits("255.255.255.255")).toBe(0xffffffff);
  });

  it("IPv4 text round-trips", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
      expect(S.parseIPv4(S.formatIPv4(b))).toEqual(b);
    }));
  });
});

describe("sockaddr and pktinfo codecs", () => {
  it("round-trip IPv4 and IPv6 addresses with ports, flow and scope", () => {
    const v6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => S.formatIPv6(b));
    const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => S.formatIPv4(b));
    fc.assert(
      fc.property(
        fc.oneof(v4, v6),
        fc.integer({ min: 0, max: 65535 }),
        fc.nat(),
        fc.nat(),
        (hostname, port, flowinfo, scopeId) => {
          const view = new DataView(new ArrayBuffer(S.WIN.SOCKADDR_STORAGE.size));
          const n = S.encodeSockaddr(view, 0, { hostname, port, flowinfo, scopeId });
          const d = S.decodeSockaddr(view, 0, n)!;
          // A zone is written for an IPv6 sender that has one (RFC 4007), never for IPv4 or v4-mapped ones.
          const zoned = d.family === "IPv6" && scopeId !== 0 && !hostname.startsWith("::ffff:");
          expect(d.hostname).toBe(zoned ? `${hostname}%${scopeId >>> 0}` : hostname);
          expect(d.port).toBe(port);
          if (d.family === "IPv6") expect([n, d.flowinfo, d.scopeId]).toEqual([28, flowinfo >>> 0, scopeId >>> 0]);
          else expect(n).toBe(16);
        },
      ),
    );
  });

  it("zones (RFC 4007): written for scoped senders and link-local destinations, honoured in every address given", () => {
    const view = new DataView(new ArrayBuffer(28));
    S.encodeSockaddr(view, 0, { hostname: "fe80::b%30", port: 5 });
    expect(view.getUint32(24, true)).toBe(30);
    expect(S.decodeSockaddr(view, 0, 28)!.hostname).toBe("fe80::b%30");
    expect(S.parseIPv6("::ffff:1.2.3.4%3")).toBeNull();
    expect(S.parseIPv6("fe80::1%eth0")).toBeNull();
    expect(S.needsZone(S.parseIPv6("fe80::1")!.bytes)).toBe(true);
    expect(S.needsZone(S.parseIPv6("ff02::fb")!.bytes)).toBe(true);
    expect(S.needsZone(S.parseIPv6("ff05::2")!.bytes)).toBe(false);
    expect(S.needsZone(S.parseIPv6("2001:db8::1")!.bytes)).toBe(false);
    // IPV6_PKTINFO naming a link-local destination on interface 7: localAddr carries the zone.
    const rec = S.WIN.IN6_PKTINFO;
    const data = new Uint8Array(rec.size);
    data.set(S.parseIPv6("fe80::a")!.bytes, rec.fields.ipi6_addr.offset);
    new DataView(data.buffer).setUint32(rec.fields.ipi6_ifindex.offset, 7, true);
    const buf = S.buildControlMessages([{ level: S.IPPROTO_IPV6, type: S.IPV6_PKTINFO, data }]);
    expect(new S.AncillaryDecoder().decode(buf, buf.length).local6).toEqual({
      hostname: "fe80::a%7",
      interfaceIndex: 7,
    });
    data.set(S.parseIPv6("2001:db8::a")!.bytes, rec.fields.ipi6_addr.offset);
    const buf2 = S.buildControlMessages([{ level: S.IPPROTO_IPV6, type: S.IPV6_PKTINFO, data }]);
    expect(new S.AncillaryDecoder().decode(buf2, buf2.length).local6).toEqual({
      hostname: "2001:db8::a",
      interfaceIndex: 7,
    });
    // Sending from "fe80::a%7": the zone becomes the interface; a different interfaceIndex is refused.
    const out = new Uint8Array(64);
    const n = S.writeSendControl(out, "linux", false, { hostname: "fe80::a%7" }, undefined);
    const sent = new S.AncillaryDecoder(S.LINUX_DIALECT).decode(out, n).local6;
    expect(sent).toEqual({ hostname: "fe80::a%7", interfaceIndex: 7 });
    expect(() => S.writeSendControl(out, "linux", false, { hostname: "fe80::a%7", interfaceIndex: 8 }, undefined))
      .toThrow(RangeError);
  });

  it("writes network byte order where C does", () => {
    const view = new DataView(new ArrayBuffer(16));
    S.encodeSockaddr(view, 0, { hostname: "10.1.2.3", port: 0x1234 });
    expect([...new Uint8Array(view.buffer, 0, 8)]).toEqual([2, 0, 0x12, 0x34, 10, 1, 2, 3]);
  });

  it("refuses names, bad ports and short lengths with errors that name the parameter", () => {
    const view = new DataView(new ArrayBuffer(28));
    expect(() => S.encodeSockaddr(view, 0, { hostname: "localhost", port: 1 })).toThrow(TypeError);
    expect(() => S.encodeSockaddr(view, 0, { hostname: "localhost", port: 1 })).toThrow(
      /hostname.*structs never look names up/,
    );
    expect(() => S.encodeSockaddr(view, 0, { hostname: "::1", port: 65536 })).toThrow(RangeError);
    expect(() => S.encodeSockaddr(view, 0, { hostname: "::1", port: 1.5 })).toThrow(/port/);
    S.encodeSockaddr(view, 0, { hostname: "[::1]", port: 1 });
    expect(S.decodeSockaddr(view, 0, 27)).toBeNull();
    expect(S.decodeSockaddr(view, 0, 28)?.hostname).toBe("::1");
    expect(S.decodeSockaddr(new DataView(new ArrayBuffer(10)), 0, 16)).toBeNull();
  });

  it("pktinfo round-trips", () => {
    const v = new DataView(new ArrayBuffer(20));
    S.encodeInPktinfo(v, 0, { address: "127.0.0.3", interfaceIndex: 7 });
    expect(S.decodeInPktinfo(v, 0)).toEqual({ address: "127.0.0.3", interfaceIndex: 7 });
    S.encodeIn6Pktinfo(v, 0, { address: "::ffff:127.0.0.3", interfaceIndex: 0xfffffffe });
    expect(S.decodeIn6Pktinfo(v, 0)).toEqual({ address: "::ffff:127.0.0.3", interfaceIndex: 0xfffffffe });
    expect(() => S.encodeInPktinfo(v, 0, { address: "::1", interfaceIndex: 0 })).toThrow(/address/);
  });
});

describe("control messages", () => {
  const msgArb = fc.record({ level: fc.integer(), type: fc.integer(), data: fc.uint8Array({ maxLength: 40 }) });

  it("what the builder writes, the walker reads back, with Windows spacing", () => {
    fc.assert(fc.property(fc.array(msgArb, { maxLength: 6 }), (msgs) => {
      const buf = S.buildControlMessages(msgs);
      expect(buf.length).toBe(S.controlSpace(msgs.map((m) => m.data.length)));
      const back = [...S.controlMessages(buf, buf.length)];
      expect(back.map((m) => ({ level: m.level, type: m.type, data: Uint8Array.from(m.data) }))).toEqual(msgs);
      // The macros walk the same headers.
      const v = new DataView(buf.buffer);
      let at: number | null = null;
      let count = 0;
      while ((at = S.WSA_CMSG_NXTHDR(v, buf.length, at)) !== null) {
        expect(v.getInt32(at + 8, true)).toBe(msgs[count].level);
        count++;
      }
      expect(count).toBe(msgs.length);
    }));
  });

  it("the last message may omit its padding, as the kernel reports Control.len", () => {
    const buf = S.buildControlMessages([{ level: 41, type: 19, data: new Uint8Array(20).fill(7) }]);
    const [m] = [...S.controlMessages(buf, S.WSA_CMSG_LEN(20))];
    expect(m.data).toEqual(new Uint8Array(20).fill(7));
  });

  it("random buffers: the walk ends, stays inside the reported length, and fails only with ControlMessageError", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: -10, max: 260 }),
        fc.boolean(),
        (bytes, length, smallLens) => {
          if (smallLens) {
            // Make plausible headers common: small cmsg_len values at 8-byte steps.
            const v = new DataView(bytes.buffer);
            for (let at = 0; at + 8 <= bytes.length; at += 24) v.setBigUint64(at, BigInt(bytes[at] % 48), true);
          }
          const end = Math.max(0, Math.min(length, bytes.length));
          let visits = 0;
          const err = S.visitControlMessages(new DataView(bytes.buffer), length, (_l, _t, at, len) => {
            visits++;
            expect(at).toBeGreaterThanOrEqual(16);
            expect(at + len).toBeLessThanOrEqual(end);
          });
          expect(visits).toBeLessThanOrEqual(Math.floor(end / 16));
          if (err) expect(err).toBeInstanceOf(S.ControlMessageError);
          try {
            for (const m of S.controlMessages(bytes, length)) {
              expect(m.data.byteOffset + m.data.length).toBeLessThanOrEqual(end);
            }
          } catch (e) {
            expect(e).toBeInstanceOf(S.ControlMessageError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it.each(
    [
      ["zero cmsg_len", 0n, "short"],
      ["cmsg_len below the header", 15n, "short"],
      ["cmsg_len past the data", 100n, "overrun"],
      ["cmsg_len of 2^64-1", 0xffffffffffffffffn, "overrun"],
    ] as const,
  )("%s ends the walk with a typed error", (_name, len, reason) => {
    const buf = new Uint8Array(48);
    new DataView(buf.buffer).setBigUint64(0, len, true);
    expect(() => [...S.controlMessages(buf, 48)]).toThrow(S.ControlMessageError);
    expect(S.visitControlMessages(new DataView(buf.buffer), 48, () => {})?.reason).toBe(reason);
    expect([...S.controlMessages(buf, 48, { onMalformed: "stop" })]).toEqual([]);
  });

  it("writeControlMessages names the target when it is too small", () => {
    expect(() => S.writeControlMessages(new Uint8Array(20), 0, [{ level: 0, type: 19, data: new Uint8Array(8) }]))
      .toThrow(/target is too small/);
  });
});

describe("Winsock errors", () => {
  it("every code the contract names has a name, a number and a sentence", () => {
    const names = [
      "WSAECONNRESET",
      "WSAEFAULT",
      "WSAEINPROGRESS",
      "WSAEINTR",
      "WSAEINVAL",
      "WSAEMSGSIZE",
      "WSAENETDOWN",
      "WSAENETRESET",
      "WSAENOTCONN",
      "WSAETIMEDOUT",
      "WSAEOPNOTSUPP",
      "WSAEWOULDBLOCK",
      "WSANOTINITIALISED",
      "WSA_IO_PENDING",
      "WSA_OPERATION_ABORTED",
    ];
    expect([...S.CONTRACT_ERROR_NAMES].sort()).toEqual([...names].sort());
    for (const e of S.WINSOCK_ERRORS.values()) {
      expect(e.message.length).toBeGreaterThan(20);
      expect(S.winsockError(e.code)).toBe(e);
    }
    expect(S.winsockError(10040).name).toBe("WSAEMSGSIZE");
    expect(S.winsockError(4242)).toMatchObject({ code: 4242, name: "WSA_UNKNOWN_4242" });
  });
});

describe("send control data (hand-built: Wine's WSASendMsg ignores it, so the Windows bytes are checked here)", () => {
  const words = (b: Uint8Array, n: number) =>
    Array.from({ length: n }, (_, i) => new DataView(b.buffer, b.byteOffset).getUint32(4 * i, true));
  it("Windows IN_PKTINFO: source in ipi_addr, then the interface; IPV6_PKTINFO likewise", () => {
    const t = new Uint8Array(128);
    expect(S.writeSendControl(t, "windows", true, { hostname: "127.0.0.9", interfaceIndex: 3 }, undefined)).toBe(24);
    const [m] = [...S.controlMessages(t, 24)];
    expect([m.level, m.type, ...m.data]).toEqual([0, 19, 127, 0, 0, 9, 3, 0, 0, 0]);
    const n = S.writeSendControl(t, "windows", false, { hostname: "::1" }, 9);
    const msgs = [...S.controlMessages(t, n)];
    expect(msgs.map((x) => [x.level, x.type, x.data.length])).toEqual([[41, 19, 20], [41, 21, 4]]);
    expect(msgs[0].data[15]).toBe(1);
    expect(words(msgs[1].data, 1)).toEqual([9]);
  });
  it("Linux in_pktinfo: interface first, source in ipi_spec_dst; TTL as IP_TTL", () => {
    const t = new Uint8Array(128);
    const n = S.writeSendControl(t, "linux", true, { hostname: "::ffff:127.0.0.9", interfaceIndex: 2 }, 64);
    const msgs = [...S.controlMessages(t, n)];
    expect(msgs.map((x) => [x.level, x.type])).toEqual([[0, 8], [0, 2]]);
    expect([...msgs[0].data]).toEqual([2, 0, 0, 0, 127, 0, 0, 9, 0, 0, 0, 0]);
  });
  it("nothing asked, nothing written; a source of the wrong family is refused by name", () => {
    expect(S.writeSendControl(new Uint8Array(8), "linux", true, undefined, undefined)).toBe(0);
    expect(() => S.writeSendControl(new Uint8Array(128), "linux", false, { hostname: "10.0.0.1" }, undefined)).toThrow(
      /localAddr.hostname must be a numeric IPv6/,
    );
  });
});

describe("internetChecksum", () => {
  it("matches RFC 1071's worked example (sum 0xddf2), odd lengths pad with a zero byte, and a checked message sums to 0", () => {
    expect(S.internetChecksum(new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(0xffff - 0xddf2);
    expect(S.internetChecksum(new Uint8Array([0x01]))).toBe(0xffff - 0x0100);
    const m = new Uint8Array([8, 0, 0, 0, 0xab, 0xcd, 0, 1, 0x61]);
    const sum = S.internetChecksum(m);
    m[2] = sum >> 8;
    m[3] = sum & 0xff;
    expect(S.internetChecksum(m)).toBe(0);
  });
});
