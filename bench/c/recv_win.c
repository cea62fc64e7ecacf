// The Windows C baseline: WSARecvMsg with IP_PKTINFO, built with mingw and run under the same Wine as
// the runtimes. Methods as in recv_linux.c:
//   drain: non-blocking; prints the port, waits WAIT_MS while the flooder queues datagrams, drains;
//          three such warm-up rounds, each followed by "ready"; the fourth burst is drained timed.
//   flood: blocking; from WARM_MS after the first datagram counts for WINDOW_MS.
// usage: recv_win.exe drain WAIT_MS | recv_win.exe flood WARM_MS WINDOW_MS
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static LPFN_WSARECVMSG recvmsg_fn;
static SOCKET s;
static char data[2048], control[256];
static unsigned long sum;

/** One WSARecvMsg: 1 when a datagram came, 0 when none (or an error). */
static int receive(void) {
  struct sockaddr_storage from;
  WSABUF buf = { sizeof data, data };
  DWORD bytes;
  WSAMSG m = { (LPSOCKADDR)&from, sizeof from, &buf, 1, { sizeof control, control }, 0 };
  if (recvmsg_fn(s, &m, &bytes, NULL, NULL) != 0) return 0;
  for (WSACMSGHDR *c = WSA_CMSG_FIRSTHDR(&m); c; c = WSA_CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) sum += ((IN_PKTINFO *)WSA_CMSG_DATA(c))->ipi_addr.s_addr;
  }
  return 1;
}

static double seconds_now(void) {
  LARGE_INTEGER f, t;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&t);
  return (double)t.QuadPart / f.QuadPart;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int flood = strcmp(argv[1], "flood") == 0;
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  DWORD one = 1, big = 32 << 20, bytes, limit = 5000;
  setsockopt(s, IPPROTO_IP, IP_PKTINFO, (char *)&one, sizeof one);
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, (char *)&big, sizeof big);
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (char *)&limit, sizeof limit);
  struct sockaddr_in a = { .sin_family = AF_INET };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, (struct sockaddr *)&a, sizeof a);
  int len = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &len);
  GUID guid = WSAID_WSARECVMSG;
  WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &recvmsg_fn, sizeof recvmsg_fn, &bytes, NULL, NULL);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  long received = 0;
  double seconds = 0;
  if (flood) {
    double warm = atof(argv[2]) / 1000, window = atof(argv[3]) / 1000;
    if (!receive()) return 1;
    double t0 = seconds_now() + warm, t = seconds_now();
    while (t < t0) { if (!receive()) return 1; t = seconds_now(); }
    t0 = t;
    while (t - t0 < window) {
      if (!receive()) return 1;
      received++;
      t = seconds_now();
    }
    seconds = t - t0;
  } else {
    u_long nb = 1;
    ioctlsocket(s, FIONBIO, &nb);
    for (int round = 0; round <= 3; round++) {
      if (round >= 1) { printf("ready\n"); fflush(stdout); }
      Sleep(atoi(argv[2]));
      received = 0;
      double t0 = seconds_now();
      while (receive()) received++;
      seconds = seconds_now() - t0;
    }
  }
  printf("%ld %.6f %lu\n", received, seconds, sum & 1);
  return 0;
}
