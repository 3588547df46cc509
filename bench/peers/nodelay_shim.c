/*
 * LD_PRELOAD shim for the bench's peer servers (ngircd, inspircd), which do
 * not set TCP_NODELAY: every socket they accept gets it, so their latency
 * is measured without Nagle's algorithm, as the chatroom's is.
 *
 * Built by bench/peers/nodelay_shim.ts at bench time:
 *   cc -shared -fPIC -O2 -o nodelay_shim.so nodelay_shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void set_nodelay(int fd) {
  if (fd < 0) return;
  int one = 1;
  /* Fails harmlessly (ENOTSUP, EOPNOTSUPP) on a socket that is not TCP. */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  static int (*real_accept)(int, struct sockaddr *, socklen_t *);
  if (!real_accept) real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  int conn = real_accept(fd, addr, len);
  set_nodelay(conn);
  return conn;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
  if (!real_accept4) {
    real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  }
  int conn = real_accept4(fd, addr, len, flags);
  set_nodelay(conn);
  return conn;
}
