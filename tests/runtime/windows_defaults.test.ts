// What Windows sockets opened by this module are set to by default: a port of their own
// (SO_EXCLUSIVEADDRUSE) and no WSAECONNRESET after an ICMP port-unreachable (SIO_UDP_CONNRESET off).
import assert from "node:assert/strict";
import { winsockStats } from "../../ffi/winsock/winsock.ts";
import { listenDatagram, winsockFailure } from "../../mod.ts";
import * as S from "../../structs/mod.ts";
import { test } from "./harness.ts";
import { closeRaw, getIntOption, rawSocket, setIntOption, tryBindRaw } from "./raw_winsock.ts";

const W = { windows: true } as const;

test("SO_EXCLUSIVEADDRUSE is set by default, and a later bind with SO_REUSEADDR cannot take the port", () => {
  using conn = listenDatagram({ hostname: "127.0.0.1" });
  assert.equal(getIntOption(conn.rawHandle, S.SOL_SOCKET, S.SO_EXCLUSIVEADDRUSE), 1);
  assert.equal(getIntOption(conn.rawHandle, S.SOL_SOCKET, S.SO_REUSEADDR), 0);
  const thief = rawSocket(S.AF_INET, S.SOCK_DGRAM, S.IPPROTO_UDP);
  try {
    setIntOption(thief, S.SOL_SOCKET, S.SO_REUSEADDR, 1);
    // Windows refuses a bind over an exclusive socket with WSAEACCES (Microsoft's "Using SO_REUSEADDR and
    // SO_EXCLUSIVEADDRUSE"); without the option the bind would succeed and the port be shared. Wine
    // answers the same WSAEACCES here.
    assert.equal(tryBindRaw(thief, "127.0.0.1", conn.addr.port), 10013, "WSAEACCES");
  } finally {
    closeRaw(thief);
  }
}, W);

test(
  "reuseAddress: true sets SO_REUSEADDR instead of SO_EXCLUSIVEADDRUSE, and a second such socket may bind the port",
  () => {
    using a = listenDatagram({ hostname: "127.0.0.1", reuseAddress: true });
    assert.equal(getIntOption(a.rawHandle, S.SOL_SOCKET, S.SO_EXCLUSIVEADDRUSE), 0);
    assert.equal(getIntOption(a.rawHandle, S.SOL_SOCKET, S.SO_REUSEADDR), 1);
    using b = listenDatagram({ hostname: "127.0.0.1", port: a.addr.port, reuseAddress: true });
    assert.equal(b.addr.port, a.addr.port);
  },
  W,
);

test("SIO_UDP_CONNRESET is turned off on every datagram socket opened, unless reportUnreachable: true", () => {
  const before = winsockStats().connResetOff;
  listenDatagram({ hostname: "127.0.0.1" }).close();
  assert.equal(winsockStats().connResetOff, before + 1, "the ioctl succeeded (Wine implements it too)");
  listenDatagram({ hostname: "127.0.0.1", reportUnreachable: true }).close();
  assert.equal(winsockStats().connResetOff, before + 1, "left on when the caller wants the report");
  assert.throws(
    () => listenDatagram({ reportUnreachable: 1 as unknown as boolean }),
    /reportUnreachable must be a boolean/,
  );
  // The report itself, where a socket keeps it, arrives as a named error with a sentence (Wine never sends it).
  const e = winsockFailure(10054, "WSARecvMsg");
  assert.equal(e.code, "WSAECONNRESET");
  assert.match(e.message, /ICMP port-unreachable/);
}, W);
