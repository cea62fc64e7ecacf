// A Winsock code keeps its name and number whatever the call; its sentence says what it means for the call
// that returned it (Microsoft's contract words WSAEMSGSIZE for a receive).
import { expect, it } from "vitest";
import { SocketError, winsockFailure } from "../../errors.ts";

it("WSAEMSGSIZE from a receive says the rest was discarded; from a send, that nothing was sent", () => {
  const r = winsockFailure(10040, "WSARecvMsg");
  const s = winsockFailure(10040, "WSASendMsg");
  for (const e of [r, s]) {
    expect(e).toBeInstanceOf(SocketError);
    expect([e.code, e.errno]).toEqual(["WSAEMSGSIZE", 10040]);
  }
  expect(r.message).toMatch(/^WSARecvMsg failed with WSAEMSGSIZE \(10040\): .*the rest discarded/);
  expect(s.message).toMatch(/^WSASendMsg failed with WSAEMSGSIZE \(10040\): .*nothing was sent\.$/);
  expect(winsockFailure(10045, "WSASendMsg").message).toMatch(/other address family/);
  expect(winsockFailure(10045, "WSARecvMsg").message).toMatch(/MSG_PEEK on a non-datagram socket/);
});
