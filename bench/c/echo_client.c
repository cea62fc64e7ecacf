// The echo benchmark's client: keeps up to OUTSTANDING requests of SIZE bytes in flight to
// 127.0.0.1:PORT (sendmmsg), counts the answers (recvmmsg), and after WARM_MS counts for WINDOW_MS.
// A request unanswered for 100 ms is given up (its slot is sent again), so that drops cannot stall it.
// Prints "answers seconds".   usage: echo_client PORT SIZE WARM_MS WINDOW_MS [OUTSTANDING]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

enum { BATCH = 32 };
static char payload[BATCH][2048], replies[BATCH][2048];
static struct iovec iov[BATCH], riov[BATCH];
static struct mmsghdr msgs[BATCH], rmsgs[BATCH];

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  int port = atoi(argv[1]), size = atoi(argv[2]);
  double warm = atof(argv[3]) / 1000, window = atof(argv[4]) / 1000;
  int outstanding_max = argc > 5 ? atoi(argv[5]) : 256;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int big = 32 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  for (int i = 0; i < BATCH; i++) {
    iov[i] = (struct iovec){ payload[i], size };
    msgs[i].msg_hdr = (struct msghdr){ &to, sizeof to, &iov[i], 1, NULL, 0, 0 };
    riov[i] = (struct iovec){ replies[i], sizeof replies[i] };
    rmsgs[i].msg_hdr = (struct msghdr){ NULL, 0, &riov[i], 1, NULL, 0, 0 };
  }
  long answers = 0, counted = 0, sent = 0;
  int outstanding = 0;
  double start = now(), t0 = start + warm, end = t0 + window, last = start;
  int counting = 0;
  for (double t = start; t < end; t = now()) {
    if (!counting && t >= t0) { counting = 1; counted = answers; t0 = t; }
    if (outstanding < outstanding_max) {
      int n = outstanding_max - outstanding < BATCH ? outstanding_max - outstanding : BATCH;
      for (int i = 0; i < n; i++) memcpy(payload[i], &(long){ sent + i }, sizeof(long));
      int r = sendmmsg(fd, msgs, n, 0);
      if (r > 0) { outstanding += r; sent += r; }
    }
    int got = 0;
    for (int r; (r = recvmmsg(fd, rmsgs, BATCH, MSG_DONTWAIT, NULL)) > 0;) got += r;
    if (got > 0) { answers += got; outstanding -= got; if (outstanding < 0) outstanding = 0; last = t; }
    else if (outstanding >= outstanding_max) {
      struct pollfd p = { fd, POLLIN, 0 };
      poll(&p, 1, 5);
      if (now() - last > 0.1) { outstanding = 0; last = now(); }
    }
  }
  printf("%ld %.6f\n", answers - counted, now() - t0);
  return 0;
}
