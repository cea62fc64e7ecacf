// The C baseline, with IP_PKTINFO read from every datagram as the module reads it.
//   drain: binds 127.0.0.1:0 with a large receive buffer, prints the port, waits WAIT_MS while the
//          flooder fills the queue and drains it; BENCH_WARM_ROUNDS (default 3) such warm-up rounds, each
//          followed by "ready", as the JS receivers get; one more burst is drained timed: prints "received seconds cpu_seconds
//          checksum" (cpu_seconds: the CPU time of the timed part, as bench/receiver.ts reports it).
//   flood: prints the port, receives (blocking; recvmmsg returns what is there, MSG_WAITFORONE) while a
//          concurrent flooder sends; from WARM_MS after the first datagram counts for WINDOW_MS.
// usage: recv_linux {recvmsg|recvmmsg} drain WAIT_MS | recv_linux {recvmsg|recvmmsg} flood WARM_MS WINDOW_MS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Untimed drain rounds before the timed one: BENCH_WARM_ROUNDS, default 3 (as the JS receivers). */
static int warm_rounds(void) {
  const char *v = getenv("BENCH_WARM_ROUNDS");
  return v ? atoi(v) : 3;
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
/** CPU time of the process (every thread): the steadier figure on a busy machine. */
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static char data[32][2048], control[32][256];
static struct sockaddr_storage names[32];
static struct iovec iov[32];
static struct mmsghdr m[32];
static unsigned long checksum;

/** One call (recvmsg, or recvmmsg of up to `batch`); returns the datagrams received, or -1. */
static int receive(int fd, int batch, int flags) {
  for (int i = 0; i < batch; i++) {
    iov[i] = (struct iovec){ data[i], sizeof data[i] };
    m[i].msg_hdr = (struct msghdr){ &names[i], sizeof names[i], &iov[i], 1, control[i], sizeof control[i], 0 };
  }
  int n;
  if (batch == 1) {
    ssize_t r = recvmsg(fd, &m[0].msg_hdr, flags);
    n = r < 0 ? -1 : 1;
  } else {
    n = recvmmsg(fd, m, batch, flags | MSG_WAITFORONE, NULL);
  }
  for (int i = 0; i < n; i++) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr); c; c = CMSG_NXTHDR(&m[i].msg_hdr, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) checksum += ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr;
    }
    checksum += data[i][0];
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int batch = strcmp(argv[1], "recvmmsg") == 0 ? 32 : 1;
  int flood = strcmp(argv[2], "flood") == 0;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, big = 64 << 20;
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct timeval limit = { 5, 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  struct sockaddr_in a = { .sin_family = AF_INET };
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  long received = 0;
  double seconds = 0, cpu_seconds = 0;
  if (flood) {
    double warm = atof(argv[3]) / 1000, window = atof(argv[4]) / 1000;
    if (receive(fd, batch, 0) < 0) return 1;
    double t0 = now() + warm, t = now();
    while (t < t0) { if (receive(fd, batch, 0) < 0) return 1; t = now(); }
    t0 = t;
    double c0 = cpu();
    while (t - t0 < window) {
      int n = receive(fd, batch, 0);
      if (n < 0) return 1;
      received += n;
      t = now();
    }
    seconds = t - t0;
    cpu_seconds = cpu() - c0;
  } else {
    int wait_ms = atoi(argv[3]);
    for (int round = 0, warm = warm_rounds(); round <= warm; round++) {
      if (round >= 1) { printf("ready\n"); fflush(stdout); }
      usleep(wait_ms * 1000);
      received = 0;
      double t0 = now(), c0 = cpu();
      for (int n; (n = receive(fd, batch, MSG_DONTWAIT)) > 0;) received += n;
      seconds = now() - t0;
      cpu_seconds = cpu() - c0;
    }
  }
  printf("%ld %.6f %.6f %lu\n", received, seconds, cpu_seconds, checksum & 1);
  return 0;
}
