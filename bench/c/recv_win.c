// The Windows C baseline: WSARecvMsg with IP_PKTINFO in a loop on a non-blocking socket, built with
// mingw and run under the same Wine as the runtimes. Prints the port, waits WAIT_MS while the flooder
// queues datagrams, drains (warm-up), prints "ready", waits for a second burst, drains it timed and
// prints "received seconds".   usage: recv_win.exe WAIT_MS
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  DWORD one = 1, big = 32 << 20, bytes;
  setsockopt(s, IPPROTO_IP, IP_PKTINFO, (char *)&one, sizeof one);
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, (char *)&big, sizeof big);
  struct sockaddr_in a = { .sin_family = AF_INET };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, (struct sockaddr *)&a, sizeof a);
  int len = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &len);
  u_long nb = 1;
  ioctlsocket(s, FIONBIO, &nb);
  GUID guid = WSAID_WSARECVMSG;
  LPFN_WSARECVMSG recvmsg_fn;
  WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &recvmsg_fn, sizeof recvmsg_fn, &bytes, NULL, NULL);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  static char data[2048], control[256];
  struct sockaddr_storage from;
  WSABUF buf = { sizeof data, data };
  LARGE_INTEGER f, t0, t1;
  QueryPerformanceFrequency(&f);
  long received = 0;
  unsigned long sum = 0;
  for (int round = 0; round < 2; round++) {
    if (round == 1) { printf("ready\n"); fflush(stdout); }
    Sleep(argc > 1 ? atoi(argv[1]) : 1000);
    received = 0;
    QueryPerformanceCounter(&t0);
    for (;;) {
      WSAMSG m = { (LPSOCKADDR)&from, sizeof from, &buf, 1, { sizeof control, control }, 0 };
      if (recvmsg_fn(s, &m, &bytes, NULL, NULL) != 0) break;
      for (WSACMSGHDR *c = WSA_CMSG_FIRSTHDR(&m); c; c = WSA_CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) sum += ((IN_PKTINFO *)WSA_CMSG_DATA(c))->ipi_addr.s_addr;
      }
      received++;
    }
  }
  QueryPerformanceCounter(&t1);
  printf("%ld %.6f %lu\n", received, (double)(t1.QuadPart - t0.QuadPart) / f.QuadPart, sum & 1);
  return 0;
}
