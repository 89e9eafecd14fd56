/*
 * What the virtual board puts between the Espruino Linux build and the machine, preloaded
 * (LD_PRELOAD): the board's clock, and a network that reaches only loopback.
 *
 * The clock.
 * An ESP32 boots with its clock at 1970 + uptime, and SNTP later sets it to real time behind
 * Espruino's back, without its timers being adjusted (docs/espruino.md §3.2). The Linux build reads only
 * gettimeofday() and sleeps only in select(), so interposing those two reproduces that clock:
 *   board time = anchor_board + (real time - anchor_real) * scale
 * The anchors live in a small file (VBOARD_CLOCK) mapped shared, which the host rewrites to step the
 * clock; `seq` is a sequence lock (odd while the host writes). select() timeouts are divided by the
 * scale so that timers run `scale` times faster, as the node engine's timeScale does.
 * Without VBOARD_CLOCK both calls pass straight through.
 *
 * The network. The board's names resolve as the test set them (VBOARD_HOSTS="name=127.0.0.1,..."),
 * "localhost" and dotted loopback addresses as usual, anything else not at all (a DNS failure, as on a
 * board whose network has no such name); connect() to an address outside 127.0.0.0/8 is refused.
 * So no test can reach past the machine, whatever its resolver knows.
 *
 * The console. The build's telnet server listens on port 2323 on every interface, one board per
 * machine. With VBOARD_TELNET_PORT_FILE set, that bind goes to a free loopback port instead, written
 * to the file, where the host's REPL (tools/vboard/espruino/repl-proxy.ts) reaches it. Later binds
 * of 2323 in the same process (a soft reset restarts the server) get the same port again.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct board_clock {
  volatile int64_t seq;
  volatile int64_t anchor_real_us;
  volatile int64_t anchor_board_us;
  volatile double scale;
};

static const struct board_clock *shared;
static int (*real_select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int telnet_port;
#define ESPRUINO_TELNET_PORT 2323


__attribute__((constructor)) static void board_clock_init(void) {
  real_select = (int (*)(int, fd_set *, fd_set *, fd_set *, struct timeval *))dlsym(RTLD_NEXT, "select");
  real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
  real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
  const char *path = getenv("VBOARD_CLOCK");
  if (!path) return;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  void *p = mmap(NULL, sizeof(struct board_clock), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p != MAP_FAILED) shared = (const struct board_clock *)p;
}

static int64_t real_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A consistent copy of the anchors (bounded retries: the host's write is three stores). */
static struct board_clock read_clock(void) {
  struct board_clock c;
  for (int i = 0; i < 1000; i++) {
    int64_t s1 = shared->seq;
    c.anchor_real_us = shared->anchor_real_us;
    c.anchor_board_us = shared->anchor_board_us;
    c.scale = shared->scale;
    __sync_synchronize();
    if (!(s1 & 1) && s1 == shared->seq) break;
  }
  if (!(c.scale > 0)) c.scale = 1;
  return c;
}

int gettimeofday(struct timeval *tv, void *tz) {
  (void)tz;
  int64_t now = real_now_us();
  if (shared) {
    struct board_clock c = read_clock();
    now = c.anchor_board_us + (int64_t)((double)(now - c.anchor_real_us) * c.scale);
  }
  tv->tv_sec = (time_t)(now / 1000000);
  tv->tv_usec = (suseconds_t)(now % 1000000);
  if (tv->tv_usec < 0) { tv->tv_usec += 1000000; tv->tv_sec -= 1; }
  return 0;
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout) {
  if (shared && timeout) {
    double scale = read_clock().scale;
    if (scale != 1) {
      int64_t us = (int64_t)(((double)timeout->tv_sec * 1000000 + timeout->tv_usec) / scale);
      struct timeval t = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
      return real_select(n, r, w, e, &t);
    }
  }
  return real_select(n, r, w, e, timeout);
}


static int is_loopback(struct in_addr a) {
  return (ntohl(a.s_addr) >> 24) == 127;
}

struct hostent *gethostbyname(const char *name) {
  static struct in_addr addr;
  static char *addrs[2];
  static char *aliases[1];
  static struct hostent h;
  static char host[256];
  int found = 0;
  if (inet_aton(name, &addr)) found = is_loopback(addr);
  else if (!strcmp(name, "localhost")) found = inet_aton("127.0.0.1", &addr);
  else {
    /* VBOARD_HOSTS: name=address pairs separated by commas. */
    const char *map = getenv("VBOARD_HOSTS");
    size_t n = strlen(name);
    for (const char *p = map; p && *p && !found;) {
      const char *eq = strchr(p, '=');
      if (!eq) break;
      const char *end = strchr(eq, ',');
      size_t alen = end ? (size_t)(end - eq - 1) : strlen(eq + 1);
      char a[64];
      if ((size_t)(eq - p) == n && !strncmp(p, name, n) && alen < sizeof a) {
        memcpy(a, eq + 1, alen);
        a[alen] = 0;
        found = inet_aton(a, &addr) && is_loopback(addr);
      }
      p = end ? end + 1 : eq + 1 + alen;
    }
  }
  if (!found) {
    h_errno = HOST_NOT_FOUND;
    return NULL;
  }
  strncpy(host, name, sizeof host - 1);
  addrs[0] = (char *)&addr;
  addrs[1] = NULL;
  aliases[0] = NULL;
  h.h_name = host;
  h.h_aliases = aliases;
  h.h_addrtype = AF_INET;
  h.h_length = sizeof addr;
  h.h_addr_list = addrs;
  return &h;
}

int connect(int fd, const struct sockaddr *sa, socklen_t len) {
  if (sa && sa->sa_family == AF_INET && !is_loopback(((const struct sockaddr_in *)sa)->sin_addr)) {
    errno = ENETUNREACH;
    return -1;
  }
  if (sa && sa->sa_family == AF_INET6) {
    errno = ENETUNREACH;
    return -1;
  }
  return real_connect(fd, sa, len);
}

/* Writes the telnet port to VBOARD_TELNET_PORT_FILE whole (a temporary file renamed over it). */
static void publish_telnet_port(const char *file) {
  char tmp[4096], text[16];
  int n = snprintf(tmp, sizeof tmp, "%s.tmp", file);
  if (n < 0 || (size_t)n >= sizeof tmp) return;
  int len = snprintf(text, sizeof text, "%d\n", telnet_port);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  ssize_t wrote = write(fd, text, (size_t)len);
  close(fd);
  if (wrote == len) rename(tmp, file);
}

int bind(int fd, const struct sockaddr *sa, socklen_t len) {
  const char *file = getenv("VBOARD_TELNET_PORT_FILE");
  if (!file || !sa || sa->sa_family != AF_INET || len < (socklen_t)sizeof(struct sockaddr_in) ||
      ntohs(((const struct sockaddr_in *)sa)->sin_port) != ESPRUINO_TELNET_PORT)
    return real_bind(fd, sa, len);
  struct sockaddr_in a = *(const struct sockaddr_in *)sa;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)telnet_port); /* 0 the first time: any free port */
  int r = real_bind(fd, (const struct sockaddr *)&a, sizeof a);
  if (r != 0) return r;
  socklen_t alen = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &alen) == 0) {
    telnet_port = ntohs(a.sin_port);
    publish_telnet_port(file);
  }
  return r;
}
