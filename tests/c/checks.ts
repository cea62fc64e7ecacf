/**
 * Generates C that proves the TypeScript tables against mingw-w64's Windows headers, and a native
 * program that runs the header's own WSA_CMSG_* macro text. Used by tests/pure/layout_c.test.ts.
 */
import * as S from "../../structs/mod.ts";

const HEADERS =
  "#include <winsock2.h>\n#include <ws2tcpip.h>\n#include <mswsock.h>\n#include <iphlpapi.h>\n#include <stddef.h>\n";

/** Constants to prove: every numeric export of constants.ts. */
export function numericConstants(): [string, number][] {
  return Object.entries(S).filter((e): e is [string, number] =>
    typeof e[1] === "number" && /^[A-Z][A-Z0-9_]+$/.test(e[0])
  );
}

/** A C file of static assertions over every layout, constant, macro value and error code. */
export function staticAssertsSource(): string {
  const lines: string[] = [HEADERS];
  let n = 0;
  const check = (expr: string, what: string) =>
    lines.push(`_Static_assert(${expr}, ${JSON.stringify(`${++n}: ${what}`)});`);

  for (const decl of S.WINDOWS_STRUCTS) {
    const l = S.layout(decl, S.WINDOWS_LLP64);
    check(`sizeof(${l.c}) == ${l.size}`, `sizeof(${l.c}) is ${l.size}`);
    check(`_Alignof(${l.c}) == ${l.align}`, `alignof(${l.c}) is ${l.align}`);
    for (const f of S.flatFields(l)) {
      check(`offsetof(${l.c}, ${f.path}) == ${f.offset}`, `offsetof(${l.c}, ${f.path}) is ${f.offset}`);
      check(`sizeof(((${l.c} *)0)->${f.path}) == ${f.size}`, `sizeof ${l.c}.${f.path} is ${f.size}`);
    }
  }
  for (const [name, value] of numericConstants()) {
    if (name in S.NOT_IN_MINGW) continue;
    // Compared as 32-bit patterns: ioctl codes are built from unsigned long expressions.
    check(`(unsigned int)(${name}) == ${value >>> 0}u`, `${name} is ${value}`);
  }
  for (const e of S.WINSOCK_ERRORS.values()) check(`${e.name} == ${e.code}`, `${e.name} is ${e.code}`);
  for (let len = 0; len <= 64; len++) {
    check(`WSA_CMSG_SPACE(${len}) == ${S.WSA_CMSG_SPACE(len)}`, `WSA_CMSG_SPACE(${len})`);
    check(`WSA_CMSG_LEN(${len}) == ${S.WSA_CMSG_LEN(len)}`, `WSA_CMSG_LEN(${len})`);
    check(`WSA_CMSGHDR_ALIGN(${len}) == ${S.WSA_CMSGHDR_ALIGN(len)}`, `WSA_CMSGHDR_ALIGN(${len})`);
    check(`WSA_CMSGDATA_ALIGN(${len}) == ${S.WSA_CMSGDATA_ALIGN(len)}`, `WSA_CMSGDATA_ALIGN(${len})`);
  }
  for (const at of [0, 24, 40, 64]) {
    check(`(size_t)WSA_CMSG_DATA((u_char *)0 + ${at}) == ${S.WSA_CMSG_DATA(at)}`, `WSA_CMSG_DATA at ${at}`);
  }
  check(
    `WSA_CMSG_SPACE(sizeof(IN_PKTINFO)) == ${S.WSA_CMSG_SPACE(S.WIN.IN_PKTINFO.size)}`,
    "WSA_CMSG_SPACE(sizeof(IN_PKTINFO))",
  );
  check(
    `WSA_CMSG_SPACE(sizeof(IN6_PKTINFO)) == ${S.WSA_CMSG_SPACE(S.WIN.IN6_PKTINFO.size)}`,
    "WSA_CMSG_SPACE(sizeof(IN6_PKTINFO))",
  );
  check(
    `WSA_CMSG_LEN(sizeof(IN6_PKTINFO)) == ${S.WSA_CMSG_LEN(S.WIN.IN6_PKTINFO.size)}`,
    "WSA_CMSG_LEN(sizeof(IN6_PKTINFO))",
  );
  lines.push(`/* ${n} checks */`);
  return lines.join("\n") + "\n";
}

/** How many static assertions {@link staticAssertsSource} writes. */
export function countChecks(source: string): number {
  return (source.match(/_Static_assert/g) ?? []).length;
}

/**
 * A native C program around the WSA_CMSG_* macro definitions copied verbatim from the mingw headers
 * (`defines`, from `gcc -E -dM`). WSACMSGHDR and the Control WSABUF are declared with the same sizes
 * as on 64-bit Windows. It reads cases from stdin (u32 controlLen, u32 byteCount, bytes) and prints,
 * for each, the offsets WSA_CMSG_NXTHDR visits (at most 64), one line per case.
 */
export function nxthdrWalkerSource(defines: string): string {
  return `#include <stdio.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
typedef unsigned char u_char;
typedef uint64_t ULONGLONG;
typedef struct { uint64_t cmsg_len; int32_t cmsg_level; int32_t cmsg_type; } WSACMSGHDR, *LPWSACMSGHDR;
typedef struct { uint32_t len; char *buf; } WSABUF;
typedef struct { WSABUF Control; } WSAMSG;
#define FIELD_OFFSET(t, f) offsetof(t, f)
${defines}
_Static_assert(sizeof(WSACMSGHDR) == 16, "header size");
int main(void) {
  uint32_t head[2];
  while (fread(head, 4, 2, stdin) == 2) {
    u_char *buf = aligned_alloc(16, (head[1] + 31) & ~15u);
    if (fread(buf, 1, head[1], stdin) != head[1]) return 2;
    WSAMSG msg = { { head[0], (char *)buf } };
    LPWSACMSGHDR c = NULL;
    for (int i = 0; i < 64; i++) {
      c = WSA_CMSG_NXTHDR(&msg, c);
      if (!c) break;
      printf("%ld ", (long)((u_char *)c - buf));
    }
    printf("\\n");
    free(buf);
  }
  return 0;
}
`;
}

/** The same proofs for the Linux tables, compiled by the host's gcc against glibc's headers. */
export function linuxStaticAssertsSource(): string {
  const lines: string[] = [
    "#define _GNU_SOURCE",
    "#include <sys/socket.h>\n#include <netinet/in.h>\n#include <netinet/ip.h>\n#include <poll.h>\n#include <errno.h>\n#include <sys/eventfd.h>\n#include <netinet/udp.h>\n#include <stddef.h>\n#include <ifaddrs.h>\n#include <net/if.h>\n#include <linux/if_packet.h>\n#include <linux/errqueue.h>\n#include <netdb.h>\n",
  ];
  let n = 0;
  const check = (expr: string, what: string) =>
    lines.push(`_Static_assert(${expr}, ${JSON.stringify(`${++n}: ${what}`)});`);
  for (const decl of S.LINUX_STRUCTS) {
    const l = S.layout(decl, S.UNIX_LP64);
    check(`sizeof(${l.c}) == ${l.size}`, `sizeof(${l.c}) is ${l.size}`);
    check(`_Alignof(${l.c}) == ${l.align}`, `alignof(${l.c}) is ${l.align}`);
    for (const f of S.flatFields(l)) {
      check(`offsetof(${l.c}, ${f.path}) == ${f.offset}`, `offsetof(${l.c}, ${f.path}) is ${f.offset}`);
      check(`sizeof(((${l.c} *)0)->${f.path}) == ${f.size}`, `sizeof ${l.c}.${f.path} is ${f.size}`);
    }
  }
  for (const [name, value] of Object.entries(S.LINUX)) {
    check(`(unsigned int)(${name}) == ${value >>> 0}u`, `${name} is ${value}`);
  }
  for (const e of S.LINUX_ERRNO.values()) check(`${e.name} == ${e.code}`, `${e.name} is ${e.code}`);
  for (const e of S.LINUX_EAI.values()) check(`${e.name} == ${e.code}`, `${e.name} is ${e.code}`);
  for (let len = 0; len <= 64; len++) {
    check(`CMSG_SPACE(${len}) == ${S.WSA_CMSG_SPACE(len)}`, `CMSG_SPACE(${len}) equals Windows' on LP64`);
    check(`CMSG_LEN(${len}) == ${S.WSA_CMSG_LEN(len)}`, `CMSG_LEN(${len}) equals Windows' on LP64`);
  }
  lines.push(`/* ${n} checks */`);
  return lines.join("\n") + "\n";
}
