// bench/local-hop-rr.c: 1-byte TCP request/response ping-pong, for
// bench/local-hop.sh. Blocking sockets, no Nagle.
//   local-hop-rr server PORT        answers every byte with a byte, forever
//   local-hop-rr client PORT COUNT  prints "p50_us p99_us"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int port = atoi(argv[2]), one = 1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char c = 'x';
  if (!strcmp(argv[1], "server")) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (void *)&sa, sizeof sa) || listen(ls, 16)) return perror("bind"), 1;
    for (;;) {
      int s = accept(ls, NULL, NULL);
      if (s < 0) continue;
      setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      while (read(s, &c, 1) == 1 && write(s, &c, 1) == 1) {
      }
      close(s);
    }
  }
  int n = argc > 3 ? atoi(argv[3]) : 100000;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s, (void *)&sa, sizeof sa)) return perror("connect"), 1;
  double *lat = malloc(sizeof(double) * n);
  for (int i = 0; i < n; i++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1) return perror("rr"), 1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    lat[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
  }
  qsort(lat, n, sizeof(double), cmp);
  printf("%.2f %.2f\n", lat[n / 2], lat[n * 99 / 100]);
  close(s);
  return 0;
}
