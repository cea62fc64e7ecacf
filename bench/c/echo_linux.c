// The C echo baselines: bound to 0.0.0.0 with IP_PKTINFO, each request is answered from the address it
// arrived at (the reply's IP_PKTINFO carries ipi_spec_dst), as a multi-homed server must.
//   recvmsg:  one recvmsg and one sendmsg per request.
//   recvmmsg: up to 32 requests per recvmmsg (MSG_WAITFORONE), their answers in one sendmmsg.
//   recvmmsg-sendmsg: up to 32 requests per recvmmsg, each answer by its own sendmsg (what any loop
//     whose send reports each datagram's own result, as an awaited sendMsg does, can at best do).
// Prints its port, then answers until killed.   usage: echo_linux {recvmsg|recvmmsg|recvmmsg-sendmsg}
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum { BATCH = 32 };
static char data[BATCH][2048];
static char control[BATCH][256], reply_control[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
static struct sockaddr_storage names[BATCH];
static struct iovec iov[BATCH], reply_iov[BATCH];
static struct mmsghdr in[BATCH], out[BATCH];

/** The reply to request i: same data and peer, from the address it arrived at. */
static void answer(int i, size_t len) {
  struct in_addr dst = { 0 };
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&in[i].msg_hdr); c; c = CMSG_NXTHDR(&in[i].msg_hdr, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) dst = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
  }
  reply_iov[i] = (struct iovec){ data[i], len };
  out[i].msg_hdr = (struct msghdr){ &names[i], in[i].msg_hdr.msg_namelen, &reply_iov[i], 1, reply_control[i], sizeof reply_control[i], 0 };
  struct cmsghdr *c = CMSG_FIRSTHDR(&out[i].msg_hdr);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
  struct in_pktinfo info = { 0 };
  info.ipi_spec_dst = dst;
  memcpy(CMSG_DATA(c), &info, sizeof info);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int each = strcmp(argv[1], "recvmmsg-sendmsg") == 0;
  int batch = strcmp(argv[1], "recvmmsg") == 0 || each ? BATCH : 1;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1, big = 32 << 20;
  setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  struct sockaddr_in a = { .sin_family = AF_INET };
  bind(fd, (struct sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  for (;;) {
    for (int i = 0; i < batch; i++) {
      iov[i] = (struct iovec){ data[i], sizeof data[i] };
      in[i].msg_hdr = (struct msghdr){ &names[i], sizeof names[i], &iov[i], 1, control[i], sizeof control[i], 0 };
    }
    if (batch == 1) {
      ssize_t n = recvmsg(fd, &in[0].msg_hdr, 0);
      if (n < 0) return 1;
      answer(0, n);
      sendmsg(fd, &out[0].msg_hdr, 0);
    } else {
      int n = recvmmsg(fd, in, batch, MSG_WAITFORONE, NULL);
      if (n < 0) return 1;
      for (int i = 0; i < n; i++) answer(i, in[i].msg_len);
      if (each) {
        for (int i = 0; i < n; i++) sendmsg(fd, &out[i].msg_hdr, 0);
        continue;
      }
      for (int sent = 0; sent < n;) {
        int r = sendmmsg(fd, out + sent, n - sent, 0);
        if (r <= 0) break;
        sent += r;
      }
    }
  }
}
