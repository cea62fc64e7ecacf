// The C baseline of the workers benchmark: THREADS threads, each with its own UDP socket bound to
// 0.0.0.0 and the same port with SO_REUSEPORT (the kernel spreads flows over them by hash), each
// answering up to 32 requests per recvmmsg (MSG_WAITFORONE) with one sendmmsg, every answer from the
// address its request arrived at (IP_PKTINFO in, ipi_spec_dst out), like bench/c/echo_linux.c recvmmsg.
// Prints the port once every socket is bound, then answers until killed.   usage: echo_threads_linux THREADS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { BATCH = 32, MAX_THREADS = 256 };

/** One thread's buffers: nothing is shared between threads. */
struct worker {
  int fd;
  char data[BATCH][2048];
  char control[BATCH][256], reply_control[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
  struct sockaddr_storage names[BATCH];
  struct iovec iov[BATCH], reply_iov[BATCH];
  struct mmsghdr in[BATCH], out[BATCH];
};

/** The reply to request i: same data and peer, from the address it arrived at. */
static void answer(struct worker *w, int i, size_t len) {
  struct in_addr dst = { 0 };
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&w->in[i].msg_hdr); c; c = CMSG_NXTHDR(&w->in[i].msg_hdr, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) dst = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
  }
  w->reply_iov[i] = (struct iovec){ w->data[i], len };
  w->out[i].msg_hdr = (struct msghdr){ &w->names[i], w->in[i].msg_hdr.msg_namelen, &w->reply_iov[i], 1,
                                       w->reply_control[i], sizeof w->reply_control[i], 0 };
  struct cmsghdr *c = CMSG_FIRSTHDR(&w->out[i].msg_hdr);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
  struct in_pktinfo info = { 0 };
  info.ipi_spec_dst = dst;
  memcpy(CMSG_DATA(c), &info, sizeof info);
}

static void *serve(void *arg) {
  struct worker *w = arg;
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      w->iov[i] = (struct iovec){ w->data[i], sizeof w->data[i] };
      w->in[i].msg_hdr = (struct msghdr){ &w->names[i], sizeof w->names[i], &w->iov[i], 1, w->control[i],
                                          sizeof w->control[i], 0 };
    }
    int n = recvmmsg(w->fd, w->in, BATCH, MSG_WAITFORONE, NULL);
    if (n < 0) return NULL;
    for (int i = 0; i < n; i++) answer(w, i, w->in[i].msg_len);
    for (int sent = 0; sent < n;) {
      int r = sendmmsg(w->fd, w->out + sent, n - sent, 0);
      if (r <= 0) break;
      sent += r;
    }
  }
}

/** A socket on 0.0.0.0:port (0: any) that shares its port (SO_REUSEPORT) and reads IP_PKTINFO. */
static int open_socket(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, big = 32 << 20;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("bind");
    exit(1);
  }
  return fd;
}

int main(int argc, char **argv) {
  int threads = argc == 2 ? atoi(argv[1]) : 0;
  if (threads < 1 || threads > MAX_THREADS) return 2;
  static struct worker *workers[MAX_THREADS];
  int port = 0;
  for (int t = 0; t < threads; t++) {
    workers[t] = calloc(1, sizeof(struct worker));
    workers[t]->fd = open_socket(port);
    if (t == 0) {
      struct sockaddr_in a;
      socklen_t len = sizeof a;
      getsockname(workers[0]->fd, (struct sockaddr *)&a, &len);
      port = ntohs(a.sin_port);
    }
  }
  pthread_t ids[MAX_THREADS];
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, serve, workers[t]);
  printf("%d\n", port);
  fflush(stdout);
  for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
  return 0;
}
