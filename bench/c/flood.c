// Sends SIZE-byte datagrams to 127.0.0.1:PORT as fast as sendmmsg allows: COUNT of them, or, when
// SECONDS is given, as many as it can for that long (the flood method's concurrent sender).
// Each payload starts with its sequence number.   usage: flood PORT COUNT SIZE [SECONDS]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) return 2;
  int port = atoi(argv[1]), count = atoi(argv[2]), size = atoi(argv[3]);
  double seconds = argc == 5 ? atof(argv[4]) : 0, end = now() + seconds;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  enum { BATCH = 64 };
  static char payload[BATCH][65536];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = payload[i];
    iov[i].iov_len = size;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
  }
  long sent = 0;
  while (seconds > 0 ? now() < end : sent < count) {
    int n = seconds > 0 || count - sent >= BATCH ? BATCH : (int)(count - sent);
    for (int i = 0; i < n; i++) memcpy(payload[i], &(long){ sent + i }, sizeof(long));
    int r = sendmmsg(fd, msgs, n, 0);
    if (r < 0) { perror("sendmmsg"); return 1; }
    sent += r;
  }
  return 0;
}
