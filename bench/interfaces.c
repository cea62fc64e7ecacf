// The C figure for bench/interfaces.ts: what interfaces() does, in C. getifaddrs(3) for the list, then
// if_nametoindex(3) once per interface name (the way an index-keyed list is built without netlink).
// With a second argument, getifaddrs alone. Prints the median milliseconds of a round.  cc -O2 -o /tmp/interfaces_c bench/interfaces.c
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 200;
  int list_only = argc > 2;
  unsigned long sink = 0;
  int count = 0;
  static double samples[100000];
  if (rounds > 100000) rounds = 100000;
  for (int r = 0; r < rounds; r++) {
    double start = now_ms();
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0) return perror("getifaddrs"), 1;
    const char *seen[4096];
    int n = 0;
    for (struct ifaddrs *p = list; p; p = p->ifa_next) {
      int known = 0;
      for (int i = 0; i < n && !known; i++) known = strcmp(seen[i], p->ifa_name) == 0;
      if (known || n == 4096) continue;
      seen[n++] = p->ifa_name;
      if (!list_only) sink += if_nametoindex(p->ifa_name);
    }
    count = n;
    freeifaddrs(list);
    samples[r] = now_ms() - start;
  }
  qsort(samples, rounds, sizeof samples[0], by_value);
  double ms = samples[rounds / 2];
  printf("{\"runtime\":\"%s\",", list_only ? "c getifaddrs" : "c getifaddrs+if_nametoindex");
  printf("\"interfaces\":%d,\"ms\":%.4f,\"sink\":%lu}\n", count, ms, sink);
  return 0;
}
