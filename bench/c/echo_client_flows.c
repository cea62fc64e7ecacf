// The workers benchmark's client: like bench/c/echo_client.c, but from FLOWS sockets (each its own
// source port, so its own flow: SO_REUSEPORT spreads flows, not datagrams, over a server's sockets),
// driven by THREADS threads that split the sockets and the OUTSTANDING requests in flight between them.
// Each socket keeps its share in flight (sendmmsg), counts answers (recvmmsg), and a share unanswered
// for 100 ms is given up (sent again), so that drops cannot stall it. After WARM_MS it counts for WINDOW_MS.
// Prints "answers seconds".
//   usage: echo_client_flows PORT SIZE WARM_MS WINDOW_MS OUTSTANDING FLOWS THREADS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

enum { BATCH = 32, MAX_FLOWS = 1024, MAX_THREADS = 64 };

static int port, size, outstanding_max, flows, nthreads;
static double t0, end;

struct flow {
  int fd;
  int outstanding;
  double last;
};

struct thread {
  int first, count; /* its flows */
  int quota;        /* requests in flight per flow */
  long answers;
  double elapsed;
  struct flow f[MAX_FLOWS];
  char payload[BATCH][2048], replies[BATCH][2048];
  struct iovec iov[BATCH], riov[BATCH];
  struct mmsghdr msgs[BATCH], rmsgs[BATCH];
};

static void *run(void *arg) {
  struct thread *th = arg;
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  for (int i = 0; i < BATCH; i++) {
    th->iov[i] = (struct iovec){ th->payload[i], size };
    th->msgs[i].msg_hdr = (struct msghdr){ &to, sizeof to, &th->iov[i], 1, NULL, 0, 0 };
    th->riov[i] = (struct iovec){ th->replies[i], sizeof th->replies[i] };
    th->rmsgs[i].msg_hdr = (struct msghdr){ NULL, 0, &th->riov[i], 1, NULL, 0, 0 };
  }
  struct pollfd p[MAX_FLOWS];
  long answers = 0, counted = 0, sent = 0;
  int counting = 0;
  double start = now(), from = t0;
  for (int k = 0; k < th->count; k++) {
    th->f[k].last = start;
    p[k] = (struct pollfd){ th->f[k].fd, POLLIN, 0 };
  }
  double t = start;
  for (; t < end; t = now()) {
    if (!counting && t >= t0) { counting = 1; counted = answers; from = t; }
    int progress = 0;
    for (int k = 0; k < th->count; k++) {
      struct flow *f = &th->f[k];
      if (f->outstanding < th->quota) {
        int n = th->quota - f->outstanding < BATCH ? th->quota - f->outstanding : BATCH;
        for (int i = 0; i < n; i++) memcpy(th->payload[i], &(long){ sent + i }, sizeof(long));
        int r = sendmmsg(f->fd, th->msgs, n, 0);
        if (r > 0) { f->outstanding += r; sent += r; }
      }
      int got = 0;
      for (int r; (r = recvmmsg(f->fd, th->rmsgs, BATCH, MSG_DONTWAIT, NULL)) > 0;) got += r;
      if (got > 0) {
        answers += got;
        f->outstanding -= got;
        if (f->outstanding < 0) f->outstanding = 0;
        f->last = t;
        progress = 1;
      } else if (t - f->last > 0.1) {
        f->outstanding = 0;
        f->last = t;
      }
    }
    if (!progress) poll(p, th->count, 5);
  }
  th->answers = answers - counted;
  th->elapsed = t - from;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 8) return 2;
  port = atoi(argv[1]);
  size = atoi(argv[2]);
  double warm = atof(argv[3]) / 1000, window = atof(argv[4]) / 1000;
  outstanding_max = atoi(argv[5]);
  flows = atoi(argv[6]);
  nthreads = atoi(argv[7]);
  if (flows < 1 || flows > MAX_FLOWS || nthreads < 1 || nthreads > MAX_THREADS || nthreads > flows) return 2;
  static struct thread *threads[MAX_THREADS];
  pthread_t ids[MAX_THREADS];
  int big = 32 << 20;
  for (int t = 0, first = 0; t < nthreads; t++) {
    struct thread *th = threads[t] = calloc(1, sizeof(struct thread));
    th->first = first;
    th->count = flows / nthreads + (t < flows % nthreads);
    first += th->count;
    th->quota = outstanding_max / flows > 0 ? outstanding_max / flows : 1;
    for (int k = 0; k < th->count; k++) {
      th->f[k].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      setsockopt(th->f[k].fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    }
  }
  double start = now();
  t0 = start + warm;
  end = t0 + window;
  for (int t = 0; t < nthreads; t++) pthread_create(&ids[t], NULL, run, threads[t]);
  long answers = 0;
  double elapsed = 0;
  for (int t = 0; t < nthreads; t++) {
    pthread_join(ids[t], NULL);
    answers += threads[t]->answers;
    if (threads[t]->elapsed > elapsed) elapsed = threads[t]->elapsed;
  }
  printf("%ld %.6f\n", answers, elapsed);
  return 0;
}
