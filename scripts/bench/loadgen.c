/*
 * loadgen: a one-process, one-thread, epoll load generator for echo servers.
 *
 *   gcc -O2 -Wall -o loadgen loadgen.c
 *   loadgen --mode tcp-pingpong --port 5000 --conns 64 --size 64 --duration 3 --pid 1234
 *
 * Modes
 *   tcp-pingpong  each connection sends SIZE bytes, waits for the whole echo, repeats
 *   tcp-stream    each connection writes continuously (at most WINDOW bytes unechoed)
 *                 and reads the echo concurrently; one "op" = SIZE bytes echoed
 *   udp-pingpong  each socket sends one SIZE-byte datagram, waits for it to come back;
 *                 no reply within --udp-timeout-ms counts as a loss and the next is sent
 *   tcp-churn     each of CONNS loops: connect, one SIZE-byte echo, close, again
 * --idle N opens N extra TCP connections first, echoes one message on each (so the
 * server has really accepted them), then leaves them idle for the whole run.
 * --src A.B.C.D/K binds every TCP socket, before connect, to one of K consecutive IPv4
 * addresses from A.B.C.D (round robin; 127.0.0.0/8 is all local on Linux), with
 * IP_BIND_ADDRESS_NO_PORT so connect() still picks the port against the whole 4-tuple.
 * Each source address has its own ephemeral range: 10,000 connections, or a churn run
 * leaving ~50k sockets in TIME_WAIT for a minute, never exhaust the range that other
 * clients of 127.0.0.1 (a test suite started next) draw from.
 *
 * Every byte that comes back is compared with what was sent: each connection (or
 * datagram) carries a deterministic pseudo-random pattern at a per-connection offset,
 * so a byte from the wrong connection, the wrong place, a truncated datagram or an
 * extra byte is a mismatch, and a mismatch fails the run.
 *
 * Phases: setup (connect + one echo per connection, bounded parallelism) -> warm-up ->
 * measured window -> drain (no new ops; outstanding echoes must complete) -> close.
 * With --pid the server's CPU time (utime+stime from /proc/PID/stat, and the sum of
 * /proc/PID/task/ * /schedstat run times as a nanosecond cross-check) and RSS are read
 * at the two edges of the measured window.
 *
 * Output: one JSON object on one line on stdout. Exit 0 when ok, 1 when the run failed
 * (the JSON says why), 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- options */

enum { M_PINGPONG, M_STREAM, M_UDP, M_CHURN };
static const char *mode_names[] = {"tcp-pingpong", "tcp-stream", "udp-pingpong", "tcp-churn"};

static struct {
    int mode;
    const char *host;
    int port;
    int conns;
    int idle;
    int size;
    double warmup, duration;
    int pid;
    int usr1;
    long window;
    int udp_timeout_ms;
    double setup_timeout;
    int setup_parallel;
    double op_timeout;
    double drain_timeout;
    uint64_t seed;
    const char *label;
    int tick_ms;
    const char *src;
} opt = {
    .mode = M_PINGPONG, .host = "127.0.0.1", .port = 0, .conns = 1, .idle = 0, .size = 64,
    .warmup = 1.0, .duration = 3.0, .pid = 0, .usr1 = 0, .window = 1 << 20,
    .udp_timeout_ms = 200, .setup_timeout = 30, .setup_parallel = 4, .op_timeout = 5,
    .drain_timeout = 3, .seed = 0x5eed, .label = "", .tick_ms = 5,
};

/* ---------------------------------------------------------------- time */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_self_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------- failure */

static char fail_msg[512];
static int failed;

static void fail(const char *fmt, ...)
{
    if (failed) return; /* keep the first reason */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail_msg, sizeof fail_msg, fmt, ap);
    va_end(ap);
    failed = 1;
}

/* ---------------------------------------------------------------- pattern */

/* PATLEN is prime so different connections (base = id * 7919 mod PATLEN) never share
 * an alignment; the buffer repeats its first MAXIO bytes at the end so any slice of up
 * to MAXIO bytes starting anywhere in [0, PATLEN) is contiguous. */
#define PATLEN 65521u
#define MAXIO (256 * 1024)
static uint8_t *pat;

static void pattern_init(uint64_t seed)
{
    pat = malloc(PATLEN + MAXIO);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t i = 0; i < PATLEN; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        pat[i] = (uint8_t)(x >> 24);
    }
    for (uint32_t i = 0; i < MAXIO; i++) pat[PATLEN + i] = pat[i % PATLEN];
}

static inline const uint8_t *pat_at(uint32_t base, uint64_t off)
{
    return pat + (uint32_t)((base + off) % PATLEN);
}

/* ---------------------------------------------------------------- histogram */

/* Log-bucketed: 32 sub-buckets per power of two (~3% resolution), exact below 32 ns. */
#define SUB_BITS 5
#define NBUCKETS (64 << SUB_BITS)
static uint64_t hist[NBUCKETS];
static uint64_t hist_n, hist_max;
static double hist_sum;

static inline int bucket_of(uint64_t v)
{
    if (v < (1u << SUB_BITS)) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - SUB_BITS;
    return ((shift + 1) << SUB_BITS) + (int)((v >> shift) & ((1u << SUB_BITS) - 1));
}

static double bucket_mid(int i)
{
    if (i < (1 << SUB_BITS)) return i;
    int s = (i >> SUB_BITS) - 1, sub = i & ((1 << SUB_BITS) - 1);
    double lo = (double)((uint64_t)((1 << SUB_BITS) + sub) << s);
    return lo + (double)(1ull << s) / 2.0;
}

/* latency from start to t; 0 if the clock readings are out of order (never negative) */
static inline uint64_t since(uint64_t t, uint64_t start) { return t > start ? t - start : 0; }

static inline void hist_add(uint64_t ns)
{
    hist[bucket_of(ns)]++;
    hist_n++;
    hist_sum += (double)ns;
    if (ns > hist_max) hist_max = ns;
}

static double hist_pct(double p)
{
    if (!hist_n) return -1;
    uint64_t rank = (uint64_t)(p * (double)hist_n);
    if (rank >= hist_n) rank = hist_n - 1;
    uint64_t acc = 0;
    for (int i = 0; i < NBUCKETS; i++) {
        acc += hist[i];
        if (acc > rank) return bucket_mid(i);
    }
    return (double)hist_max;
}

/* ---------------------------------------------------------------- server /proc */

typedef struct {
    int ok;
    double stat_cpu_s;  /* utime+stime, clock ticks -> seconds, all threads incl. dead */
    double sched_cpu_s; /* sum of /proc/PID/task/ * /schedstat run time, live threads, ns */
    long rss_kb, hwm_kb;
    int threads;
} procsnap;

static long clk_tck = 100;

static int read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int)n;
}

static procsnap proc_snap(int pid)
{
    procsnap s = {0};
    if (pid <= 0) return s;
    char path[128], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_file(path, buf, sizeof buf) < 0) return s;
    char *p = strrchr(buf, ')');
    if (!p) return s;
    p += 2; /* field 3 */
    unsigned long long ut = 0, st = 0;
    for (int field = 3; field <= 15 && *p; field++) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (field == 14) ut = v;
        if (field == 15) st = v;
        p = end;
        while (*p == ' ') p++;
        if (field == 3) { /* state is a letter, strtoull did not move */
            while (*p && *p != ' ') p++;
            while (*p == ' ') p++;
        }
    }
    s.stat_cpu_s = (double)(ut + st) / (double)clk_tck;

    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        unsigned long long sum = 0;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char p2[320];
            snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", pid, e->d_name);
            if (read_file(p2, buf, sizeof buf) > 0) sum += strtoull(buf, NULL, 10);
        }
        closedir(d);
        s.sched_cpu_s = (double)sum / 1e9;
    }

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (read_file(path, buf, sizeof buf) > 0) {
        char *q;
        if ((q = strstr(buf, "VmRSS:"))) s.rss_kb = strtol(q + 6, NULL, 10);
        if ((q = strstr(buf, "VmHWM:"))) s.hwm_kb = strtol(q + 6, NULL, 10);
        if ((q = strstr(buf, "Threads:"))) s.threads = (int)strtol(q + 8, NULL, 10);
    }
    s.ok = 1;
    return s;
}

/* whole machine, from /proc/stat's "cpu" line, in clock ticks */
typedef struct {
    int ok;
    unsigned long long busy, steal, total;
} syssnap;

static syssnap sys_snap(void)
{
    syssnap s = {0};
    char buf[512];
    if (read_file("/proc/stat", buf, sizeof buf) < 0 || strncmp(buf, "cpu ", 4)) return s;
    unsigned long long v[10] = {0};
    char *p = buf + 4;
    for (int i = 0; i < 10; i++) v[i] = strtoull(p, &p, 10);
    /* user nice system idle iowait irq softirq steal guest guest_nice */
    s.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    s.steal = v[7];
    s.total = s.busy + v[3] + v[4];
    s.ok = 1;
    return s;
}

/* ---------------------------------------------------------------- sockets */

static struct sockaddr_storage srv;
static socklen_t srv_len;

/* --src: consecutive IPv4 source addresses, host byte order */
static uint32_t src_first, src_count, src_next;

static int parse_src(void)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s", opt.src);
    char *slash = strchr(tmp, '/');
    long k = 1;
    if (slash) {
        char *end;
        *slash = 0;
        k = strtol(slash + 1, &end, 10);
        if (*end || k < 1 || k > 65536) return -1;
    }
    struct in_addr a;
    if (inet_pton(AF_INET, tmp, &a) != 1) return -1;
    src_first = ntohl(a.s_addr);
    if ((uint64_t)src_first + (uint64_t)k - 1 > 0xffffffffull) return -1;
    src_count = (uint32_t)k;
    return 0;
}

/* Binds fd to the next --src address (port chosen later by connect). 0, or -1 with errno. */
static int bind_src(int fd)
{
    if (!src_count || srv.ss_family != AF_INET) return 0;
    int one = 1;
#ifdef IP_BIND_ADDRESS_NO_PORT
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#else
    (void)one;
#endif
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(src_first + src_next++ % src_count);
    return bind(fd, (struct sockaddr *)&a, sizeof a);
}

static int parse_host(void)
{
    memset(&srv, 0, sizeof srv);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&srv;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&srv;
    const char *h = opt.host;
    char tmp[64];
    if (h[0] == '[') { /* [::1] */
        snprintf(tmp, sizeof tmp, "%s", h + 1);
        char *c = strchr(tmp, ']');
        if (c) *c = 0;
        h = tmp;
    }
    if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)opt.port);
        srv_len = sizeof *a4;
        return 0;
    }
    if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)opt.port);
        srv_len = sizeof *a6;
        return 0;
    }
    return -1;
}

/* ---------------------------------------------------------------- connections */

enum { K_ACTIVE, K_IDLE, K_CHURN, K_UDP };
enum {
    ST_FREE,       /* slot unused (churn: between connections, or backing off) */
    ST_CONNECTING, /* connect() in progress */
    ST_HELLO,      /* setup echo in flight */
    ST_READY,      /* setup done, waiting for the run (active) or idle for good (idle) */
    ST_RUN,        /* running ops */
    ST_DONE,       /* drained */
};

#define RING 64
typedef struct {
    int fd;
    uint8_t kind, st;
    uint32_t id;
    uint32_t base;     /* pattern base for this connection */
    uint64_t sent, rcvd;
    uint64_t op_end;   /* ping-pong/hello/churn: rcvd value at which the op is complete */
    uint64_t t_op;     /* start time of the op in flight */
    uint64_t deadline; /* op / connect / udp timeout */
    uint64_t seq;      /* udp: sequence number in flight */
    /* stream latency samples: (offset of last byte handed to the kernel, time) */
    uint64_t ring_off[RING], ring_t[RING];
    uint32_t rh, rt;
} conn;

static conn *conns;   /* [0, nactive) active/churn/udp, then idle */
static int nconns;
static int ep;
static uint8_t *rbuf;

/* phase */
enum { P_SETUP, P_WARMUP, P_MEASURE, P_DRAIN, P_END };
static int phase = P_SETUP;
static uint64_t t_phase;

/* counters over the measured window */
static uint64_t c_ops, c_bytes, c_errors, c_udp_sent, c_udp_lost, c_udp_late, c_churn_conn;
static uint64_t c_connect_errors;
static uint32_t next_conn_id;

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int ep_add(int fd, uint32_t events, int idx)
{
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)idx};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void conn_close(conn *c)
{
    if (c->fd >= 0) close(c->fd); /* close() also leaves the epoll set */
    c->fd = -1;
}

/* Starts a non-blocking connect on slot c. Returns 0, or -1 with errno. */
static int tcp_connect(conn *c, int idx)
{
    int fd = socket(srv.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (c->kind != K_CHURN) set_nodelay(fd);
    if (bind_src(fd) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    c->fd = fd;
    c->id = next_conn_id++;
    c->base = (uint32_t)(((uint64_t)c->id * 7919u + opt.seed) % PATLEN);
    c->sent = c->rcvd = 0;
    c->rh = c->rt = 0;
    c->st = ST_CONNECTING;
    c->t_op = now_ns();
    if (connect(fd, (struct sockaddr *)&srv, srv_len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        conn_close(c);
        errno = e;
        return -1;
    }
    if (ep_add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, idx) < 0) {
        int e = errno;
        conn_close(c);
        errno = e;
        return -1;
    }
    return 0;
}

/* Sends what the current state allows. Returns -1 on a fatal socket error. */
static int tcp_send(conn *c)
{
    for (;;) {
        uint64_t limit;
        if (c->st == ST_RUN && opt.mode == M_STREAM && c->kind == K_ACTIVE) {
            if (phase >= P_DRAIN) return 0;
            limit = c->rcvd + (uint64_t)opt.window;
        } else {
            limit = c->op_end;
        }
        if (c->sent >= limit) return 0;
        uint64_t want = limit - c->sent;
        if (want > (uint64_t)opt.size && opt.mode == M_STREAM) want = (uint64_t)opt.size;
        if (want > MAXIO) want = MAXIO;
        ssize_t n = send(c->fd, pat_at(c->base, c->sent), (size_t)want, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        c->sent += (uint64_t)n;
        if (opt.mode == M_STREAM && c->st == ST_RUN && ((c->rh - c->rt) < RING)) {
            c->ring_off[c->rh % RING] = c->sent;
            c->ring_t[c->rh % RING] = now_ns();
            c->rh++;
        }
    }
}

static int hello_size(void) { return opt.size < 64 ? opt.size : 64; }

static void start_op(conn *c, uint64_t t)
{
    c->op_end = c->sent + (uint64_t)opt.size;
    c->t_op = t;
    c->deadline = t + (uint64_t)(opt.op_timeout * 1e9);
}

static int setup_inflight, setup_ready;

static void op_done(conn *c, uint64_t t)
{
    if (phase == P_MEASURE) {
        c_ops++;
        c_bytes += (uint64_t)opt.size;
        hist_add(since(t, c->t_op));
    }
}

static void start_churn(conn *c, int idx, uint64_t t);

/* Data arrived on a TCP connection. */
static void tcp_readable(conn *c, int idx, uint64_t t)
{
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, MAXIO, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR) continue;
            if (c->kind == K_CHURN) {
                if (phase == P_MEASURE) c_errors++;
                conn_close(c);
                c->st = ST_FREE;
                c->deadline = t + 1000000; /* retry in 1 ms */
                return;
            }
            fail("conn %u: recv: %s", c->id, strerror(errno));
            return;
        }
        if (n == 0) {
            if (c->kind == K_CHURN) {
                if (phase == P_MEASURE) c_errors++;
                conn_close(c);
                c->st = ST_FREE;
                c->deadline = t + 1000000;
                return;
            }
            fail("conn %u (%s): server closed the connection (EOF) after %" PRIu64 " of %" PRIu64
                 " bytes echoed", c->id, c->kind == K_IDLE ? "idle" : "active", c->rcvd, c->sent);
            return;
        }
        if (c->rcvd + (uint64_t)n > c->sent) {
            fail("conn %u: received %" PRIu64 " bytes but only %" PRIu64 " were sent (extra bytes)",
                 c->id, c->rcvd + (uint64_t)n, c->sent);
            return;
        }
        /* verify, in MAXIO-bounded slices (n <= MAXIO already) */
        if (memcmp(rbuf, pat_at(c->base, c->rcvd), (size_t)n) != 0) {
            const uint8_t *exp = pat_at(c->base, c->rcvd);
            ssize_t i = 0;
            while (i < n && rbuf[i] == exp[i]) i++;
            fail("conn %u: echoed byte mismatch at stream offset %" PRIu64 " (got 0x%02x, want 0x%02x)",
                 c->id, c->rcvd + (uint64_t)i, rbuf[i], exp[i]);
            return;
        }
        c->rcvd += (uint64_t)n;

        if (opt.mode == M_STREAM && c->st == ST_RUN && c->kind == K_ACTIVE) {
            if (phase == P_MEASURE) c_bytes += (uint64_t)n;
            while (c->rt != c->rh && c->ring_off[c->rt % RING] <= c->rcvd) {
                if (phase == P_MEASURE) hist_add(since(t, c->ring_t[c->rt % RING]));
                c->rt++;
            }
            c->deadline = t + (uint64_t)(opt.op_timeout * 1e9);
            continue; /* edge-triggered: read until EAGAIN */
        }

        if (c->rcvd < c->op_end) continue; /* partial echo: read on */

        /* an op (hello, ping-pong round trip or churn echo) is complete */
        switch (c->st) {
        case ST_HELLO:
            c->st = ST_READY;
            setup_inflight--;
            setup_ready++;
            return;
        case ST_RUN:
            if (c->kind == K_CHURN) {
                op_done(c, t);
                if (phase == P_MEASURE) c_churn_conn++;
                conn_close(c);
                c->st = ST_FREE;
                if (phase < P_DRAIN) start_churn(c, idx, t);
                return;
            }
            op_done(c, t);
            if (phase >= P_DRAIN) {
                c->st = ST_DONE;
                return;
            }
            /* the clock for the next round trip starts now, not at the batch's wake-up: the
             * client's own work on the rest of the batch is not the server's latency */
            start_op(c, now_ns());
            if (tcp_send(c) < 0) fail("conn %u: send: %s", c->id, strerror(errno));
            /* the next echo needs the server's turn: no point reading again now (the
             * socket is edge-triggered and new data will raise a new event) */
            return;
        default:
            fail("conn %u: unexpected data in state %d", c->id, c->st);
            return;
        }
    }
}

/* The connection's connect() finished (writable). */
static int tcp_connected(conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

static void start_churn(conn *c, int idx, uint64_t t)
{
    if (tcp_connect(c, idx) < 0) {
        if (phase == P_MEASURE) c_connect_errors++;
        c->st = ST_FREE;
        c->deadline = t + 1000000;
        return;
    }
    /* c->t_op was taken by tcp_connect() just before connect() */
    c->deadline = t + (uint64_t)(opt.op_timeout * 1e9);
}

static void tcp_event(int idx, uint32_t ev, uint64_t t)
{
    conn *c = &conns[idx];
    if (c->fd < 0) return;
    if (c->st == ST_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        if (tcp_connected(c) < 0) {
            if (c->kind == K_CHURN) {
                if (phase == P_MEASURE) c_connect_errors++;
                conn_close(c);
                c->st = ST_FREE;
                c->deadline = t + 1000000;
                return;
            }
            fail("conn %u: connect: %s", c->id, strerror(errno));
            return;
        }
        if (c->kind == K_CHURN) {
            c->st = ST_RUN;
            c->op_end = (uint64_t)opt.size; /* t_op stays at connect start */
        } else {
            c->st = ST_HELLO;
            c->op_end = (uint64_t)hello_size();
            c->deadline = t + (uint64_t)(opt.op_timeout * 1e9);
        }
        if (tcp_send(c) < 0) {
            if (c->kind == K_CHURN) {
                if (phase == P_MEASURE) c_errors++;
                conn_close(c);
                c->st = ST_FREE;
                c->deadline = t + 1000000;
                return;
            }
            fail("conn %u: send: %s", c->id, strerror(errno));
            return;
        }
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
        tcp_readable(c, idx, t);
        if (failed || c->fd < 0) return;
    }
    if (ev & EPOLLOUT) {
        if (c->st == ST_HELLO || c->st == ST_RUN) {
            if (tcp_send(c) < 0) {
                if (c->kind == K_CHURN) {
                    if (phase == P_MEASURE) c_errors++;
                    conn_close(c);
                    c->st = ST_FREE;
                    c->deadline = t + 1000000;
                    return;
                }
                fail("conn %u: send: %s", c->id, strerror(errno));
            }
        }
    }
}

/* ---------------------------------------------------------------- UDP */

#define UDP_MAGIC 0x4c474e31u /* "LGN1" */

/* datagram = magic(4) id(4) seq(8) pattern(size-16) */
static void udp_fill(uint8_t *b, const conn *c)
{
    uint32_t m = UDP_MAGIC, id = c->id;
    memcpy(b, &m, 4);
    memcpy(b + 4, &id, 4);
    memcpy(b + 8, &c->seq, 8);
    memcpy(b + 16, pat_at(c->base, c->seq * 131u), (size_t)opt.size - 16);
}

static uint8_t *ubuf;

static void udp_send(conn *c, uint64_t t)
{
    c->seq++;
    udp_fill(ubuf, c);
    c->t_op = t;
    c->deadline = t + (uint64_t)opt.udp_timeout_ms * 1000000ull;
    if (phase == P_MEASURE) c_udp_sent++;
    ssize_t n = send(c->fd, ubuf, (size_t)opt.size, MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED && errno != ENOBUFS)
        fail("udp %u: send: %s", c->id, strerror(errno));
    /* a datagram that could not be sent simply times out as a loss */
}

static void udp_event(int idx, uint64_t t)
{
    conn *c = &conns[idx];
    for (int k = 0; k < 64; k++) {
        ssize_t n = recv(c->fd, rbuf, 65536, MSG_DONTWAIT | MSG_TRUNC);
        /* several datagrams may be read in one call, and the one sent in reply to the first
         * may already be among them: each needs its own arrival time */
        if (k > 0) t = now_ns();
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR) continue;
            if (errno == ECONNREFUSED) { /* ICMP port unreachable: server gone */
                fail("udp %u: server port unreachable (ECONNREFUSED)", c->id);
                return;
            }
            fail("udp %u: recv: %s", c->id, strerror(errno));
            return;
        }
        if (n != opt.size) {
            fail("udp %u: echoed datagram is %zd bytes, sent %d (%s)", c->id, n, opt.size,
                 n < opt.size ? "truncated" : "too long");
            return;
        }
        uint32_t m, id;
        uint64_t seq;
        memcpy(&m, rbuf, 4);
        memcpy(&id, rbuf + 4, 4);
        memcpy(&seq, rbuf + 8, 8);
        if (m != UDP_MAGIC || id != c->id || seq > c->seq) {
            fail("udp %u: echoed datagram header mismatch (id %u seq %" PRIu64 ", expected id %u seq %" PRIu64 ")",
                 c->id, id, seq, c->id, c->seq);
            return;
        }
        if (memcmp(rbuf + 16, pat_at(c->base, seq * 131u), (size_t)opt.size - 16) != 0) {
            fail("udp %u: echoed datagram payload mismatch (seq %" PRIu64 ")", c->id, seq);
            return;
        }
        if (seq < c->seq || c->st != ST_RUN) { /* arrived after its timeout */
            if (phase == P_MEASURE) c_udp_late++;
            continue;
        }
        /* the reply we wait for */
        if (phase == P_MEASURE) {
            c_ops++;
            c_bytes += (uint64_t)opt.size;
            hist_add(since(t, c->t_op));
        }
        if (phase >= P_DRAIN) {
            c->st = ST_DONE;
            continue;
        }
        udp_send(c, now_ns());
    }
}

/* ---------------------------------------------------------------- main loop */

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --mode tcp-pingpong|tcp-stream|udp-pingpong|tcp-churn --port N\n"
            "  [--host 127.0.0.1] [--conns N] [--idle N] [--size BYTES] [--warmup S] [--duration S]\n"
            "  [--pid SERVER_PID] [--usr1] [--window BYTES] [--udp-timeout-ms MS]\n"
            "  [--setup-timeout S] [--setup-parallel N] [--op-timeout S] [--drain-timeout S]\n"
            "  [--seed N] [--label TEXT] [--src A.B.C.D/COUNT]\n");
    exit(2);
}

static void json_str(const char *k, const char *v)
{
    printf("\"%s\":\"", k);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if ((unsigned char)*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    printf("\",");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (usage(), ""))
        if (!strcmp(a, "--mode")) {
            const char *m = NEXT();
            int found = 0;
            for (int k = 0; k < 4; k++)
                if (!strcmp(m, mode_names[k])) { opt.mode = k; found = 1; }
            if (!found) usage();
        } else if (!strcmp(a, "--host")) opt.host = NEXT();
        else if (!strcmp(a, "--port")) opt.port = atoi(NEXT());
        else if (!strcmp(a, "--conns")) opt.conns = atoi(NEXT());
        else if (!strcmp(a, "--idle")) opt.idle = atoi(NEXT());
        else if (!strcmp(a, "--size")) opt.size = atoi(NEXT());
        else if (!strcmp(a, "--warmup")) opt.warmup = atof(NEXT());
        else if (!strcmp(a, "--duration")) opt.duration = atof(NEXT());
        else if (!strcmp(a, "--pid")) opt.pid = atoi(NEXT());
        else if (!strcmp(a, "--usr1")) opt.usr1 = 1;
        else if (!strcmp(a, "--window")) opt.window = atol(NEXT());
        else if (!strcmp(a, "--udp-timeout-ms")) opt.udp_timeout_ms = atoi(NEXT());
        else if (!strcmp(a, "--setup-timeout")) opt.setup_timeout = atof(NEXT());
        else if (!strcmp(a, "--setup-parallel")) opt.setup_parallel = atoi(NEXT());
        else if (!strcmp(a, "--op-timeout")) opt.op_timeout = atof(NEXT());
        else if (!strcmp(a, "--drain-timeout")) opt.drain_timeout = atof(NEXT());
        else if (!strcmp(a, "--seed")) opt.seed = strtoull(NEXT(), NULL, 0);
        else if (!strcmp(a, "--label")) opt.label = NEXT();
        else if (!strcmp(a, "--tick-ms")) opt.tick_ms = atoi(NEXT());
        else if (!strcmp(a, "--src")) opt.src = NEXT();
        else usage();
#undef NEXT
    }
    if (opt.port <= 0 || opt.port > 65535 || opt.conns < 1 || opt.conns > 100000 || opt.idle < 0 ||
        opt.idle > 100000 || opt.size < 1 || opt.size > MAXIO || opt.duration <= 0 || opt.warmup < 0 ||
        opt.setup_parallel < 1 || opt.window < opt.size || opt.udp_timeout_ms < 1)
        usage();
    if (opt.mode == M_UDP && (opt.size < 16 || opt.size > 65507)) {
        fprintf(stderr, "loadgen: udp size must be 16..65507\n");
        return 2;
    }
    if (parse_host() < 0) {
        fprintf(stderr, "loadgen: bad --host %s\n", opt.host);
        return 2;
    }
    if (opt.src && parse_src() < 0) {
        fprintf(stderr, "loadgen: bad --src %s (want A.B.C.D or A.B.C.D/COUNT)\n", opt.src);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    clk_tck = sysconf(_SC_CLK_TCK);
    if (clk_tck <= 0) clk_tck = 100;

    /* descriptors: one per connection plus a few */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)opt.conns + (rlim_t)opt.idle + 64;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = need <= rl.rlim_max ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < need) {
            fprintf(stderr, "loadgen: need %lu descriptors, limit is %lu (raise ulimit -n)\n",
                    (unsigned long)need, (unsigned long)rl.rlim_cur);
            return 2;
        }
    }

    pattern_init(opt.seed);
    rbuf = malloc(MAXIO > 65536 ? MAXIO : 65536);
    ubuf = malloc(65536);
    nconns = opt.conns + opt.idle;
    conns = calloc((size_t)nconns, sizeof *conns);
    for (int i = 0; i < nconns; i++) {
        conns[i].fd = -1;
        conns[i].kind = i < opt.conns ? (opt.mode == M_CHURN ? K_CHURN : opt.mode == M_UDP ? K_UDP : K_ACTIVE)
                                      : K_IDLE;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);

    uint64_t t0 = now_ns();
    uint64_t setup_deadline = t0 + (uint64_t)(opt.setup_timeout * 1e9);
    uint64_t t_measure_start = 0, t_measure_end = 0, t_drain_end = 0;
    double cpu_a = 0, cpu_b = 0;
    procsnap sa = {0}, sb = {0};
    syssnap ya = {0}, yb = {0};
    double setup_s = 0;

    /* setup order: idle connections first, then the active ones (TCP modes that keep
     * connections); churn and UDP have no persistent TCP connections to set up */
    int next_setup = (opt.mode == M_PINGPONG || opt.mode == M_STREAM) ? 0 : opt.conns;
    /* idle first: they live at [opt.conns, nconns); walk them before the actives */
    int setup_order_idle = opt.conns; /* next idle index to open */
    int setup_done = 0, setup_total = (next_setup == 0 ? opt.conns : 0) + opt.idle;

    if (opt.mode == M_UDP) {
        for (int i = 0; i < opt.conns; i++) {
            conn *c = &conns[i];
            int fd = socket(srv.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0 || connect(fd, (struct sockaddr *)&srv, srv_len) < 0) {
                fail("udp socket: %s", strerror(errno));
                break;
            }
            c->fd = fd;
            c->id = next_conn_id++;
            c->base = (uint32_t)(((uint64_t)c->id * 7919u + opt.seed) % PATLEN);
            ep_add(fd, EPOLLIN, i);
        }
    }

    struct epoll_event evs[512];
    uint64_t last_scan = 0;
    while (!failed && phase != P_END) {
        uint64_t t = now_ns();

        /* ---- phase machine */
        if (phase == P_SETUP) {
            /* open more connections, at most setup_parallel in flight */
            while (setup_inflight < opt.setup_parallel && (setup_order_idle < nconns || next_setup < opt.conns)) {
                int idx;
                if (setup_order_idle < nconns) idx = setup_order_idle++;
                else idx = next_setup++;
                if (tcp_connect(&conns[idx], idx) < 0) {
                    fail("setup: connect: %s (after %d connections)", strerror(errno), setup_done);
                    break;
                }
                setup_inflight++;
            }
            setup_done = setup_ready; /* a counter, not a scan: 10,000 connections */
            if (setup_done >= setup_total && setup_inflight == 0) {
                setup_s = (double)(t - t0) / 1e9;
                phase = P_WARMUP;
                t_phase = t;
                for (int i = 0; i < opt.conns; i++) {
                    conn *c = &conns[i];
                    if (opt.mode == M_PINGPONG || opt.mode == M_STREAM) {
                        c->st = ST_RUN;
                        c->deadline = t + (uint64_t)(opt.op_timeout * 1e9);
                        if (opt.mode == M_PINGPONG) start_op(c, t);
                        if (tcp_send(c) < 0) fail("conn %u: send: %s", c->id, strerror(errno));
                    } else if (opt.mode == M_UDP) {
                        c->st = ST_RUN;
                        udp_send(c, t);
                    } else {
                        start_churn(c, i, t);
                    }
                }
                if (opt.warmup <= 0) goto begin_measure;
                continue;
            }
            if (t > setup_deadline) {
                fail("setup timed out after %.1f s: %d of %d connections ready", opt.setup_timeout,
                     setup_done, setup_total);
                break;
            }
        } else if (phase == P_WARMUP && t - t_phase >= (uint64_t)(opt.warmup * 1e9)) {
        begin_measure:
            t = now_ns();
            if (opt.usr1 && opt.pid > 0) kill(opt.pid, SIGUSR1);
            c_ops = c_bytes = c_errors = c_udp_sent = c_udp_lost = c_udp_late = c_churn_conn = 0;
            c_connect_errors = 0;
            memset(hist, 0, sizeof hist);
            hist_n = hist_max = 0;
            hist_sum = 0;
            sa = proc_snap(opt.pid);
            ya = sys_snap();
            cpu_a = cpu_self_s();
            t_measure_start = now_ns();
            phase = P_MEASURE;
            t_phase = t_measure_start;
        } else if (phase == P_MEASURE && t - t_phase >= (uint64_t)(opt.duration * 1e9)) {
            t_measure_end = now_ns();
            cpu_b = cpu_self_s();
            yb = sys_snap();
            sb = proc_snap(opt.pid);
            if (opt.usr1 && opt.pid > 0) kill(opt.pid, SIGUSR1);
            phase = P_DRAIN;
            t_phase = t_measure_end;
            t_drain_end = t_measure_end + (uint64_t)(opt.drain_timeout * 1e9);
        } else if (phase == P_DRAIN) {
            int outstanding = 0;
            for (int i = 0; i < opt.conns; i++) {
                conn *c = &conns[i];
                if (c->fd < 0) continue;
                if (opt.mode == M_STREAM) {
                    if (c->rcvd < c->sent) outstanding++;
                } else if (opt.mode == M_CHURN) {
                    if (c->st == ST_RUN) outstanding++;
                } else if (c->st == ST_RUN) {
                    outstanding++;
                }
            }
            if (!outstanding) {
                phase = P_END;
                break;
            }
            if (t > t_drain_end) {
                if (opt.mode == M_UDP) { /* the rest are losses after the window */
                    phase = P_END;
                    break;
                }
                if (opt.mode == M_CHURN) {
                    phase = P_END;
                    break;
                }
                fail("drain: %d connection(s) still waiting for their echo %.1f s after the window",
                     outstanding, opt.drain_timeout);
                break;
            }
        }

        /* ---- periodic checks: timeouts (every ~5 ms) */
        if (t - last_scan > 5000000) {
            last_scan = t;
            for (int i = 0; i < nconns && !failed; i++) {
                conn *c = &conns[i];
                if (c->kind == K_UDP) {
                    if (c->st == ST_RUN && t > c->deadline) {
                        if (phase == P_MEASURE) c_udp_lost++;
                        if (phase >= P_DRAIN) c->st = ST_DONE;
                        else udp_send(c, t);
                    }
                } else if (c->kind == K_CHURN) {
                    if (c->st == ST_FREE) {
                        if (phase < P_DRAIN && phase != P_SETUP && t >= c->deadline) start_churn(c, i, t);
                    } else if (t > c->deadline) {
                        if (phase == P_MEASURE) {
                            if (c->st == ST_CONNECTING) c_connect_errors++;
                            else c_errors++;
                        }
                        conn_close(c);
                        c->st = ST_FREE;
                        c->deadline = t;
                    }
                } else if (c->st == ST_HELLO || c->st == ST_CONNECTING ||
                           (c->st == ST_RUN && (opt.mode == M_PINGPONG ? 1 : c->rcvd < c->sent))) {
                    if (c->deadline && t > c->deadline && phase != P_DRAIN) {
                        fail("conn %u (%s): no echo for %.1f s (state %d, %" PRIu64 "/%" PRIu64 " bytes echoed)",
                             c->id, c->kind == K_IDLE ? "idle" : "active", opt.op_timeout, c->st, c->rcvd,
                             c->sent);
                    }
                }
            }
            if (failed) break;
        }

        /* ---- wait */
        int n = epoll_wait(ep, evs, 512, opt.tick_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait: %s", strerror(errno));
            break;
        }
        t = now_ns();
        for (int k = 0; k < n && !failed; k++) {
            int idx = (int)evs[k].data.u64;
            conn *c = &conns[idx];
            if (c->kind == K_UDP) {
                udp_event(idx, t);
            } else {
                if (c->kind == K_IDLE && c->st == ST_READY) {
                    /* an idle connection should hear nothing */
                    tcp_readable(c, idx, t);
                    continue;
                }
                tcp_event(idx, evs[k].events, t);
            }
        }
    }

    /* close everything: graceful FIN (echoes were drained, so no unread data -> no RST) */
    for (int i = 0; i < nconns; i++) conn_close(&conns[i]);

    double win = t_measure_end > t_measure_start ? (double)(t_measure_end - t_measure_start) / 1e9 : 0;
    uint64_t ops = c_ops;
    if (opt.mode == M_STREAM) ops = c_bytes / (uint64_t)opt.size;
    if (!failed && phase == P_END && ops == 0) fail("no operation completed in the measured window");
    if (!failed && phase != P_END) fail("run did not finish");
    double ccpu = cpu_b - cpu_a;
    double scpu = (sa.ok && sb.ok) ? sb.stat_cpu_s - sa.stat_cpu_s : -1;
    double sched = (sa.ok && sb.ok) ? sb.sched_cpu_s - sa.sched_cpu_s : -1;

    printf("{");
    printf("\"ok\":%s,", failed ? "false" : "true");
    json_str("error", failed ? fail_msg : "");
    json_str("label", opt.label);
    json_str("mode", mode_names[opt.mode]);
    printf("\"conns\":%d,\"idle\":%d,\"size\":%d,\"src_addrs\":%u,", opt.conns, opt.idle, opt.size, src_count);
    printf("\"warmup_s\":%.3f,\"duration_s\":%.6f,\"setup_s\":%.6f,", opt.warmup, win, setup_s);
    printf("\"ops\":%" PRIu64 ",\"ops_per_s\":%.2f,", ops, win > 0 ? (double)ops / win : 0);
    printf("\"bytes\":%" PRIu64 ",\"mb_per_s\":%.3f,", c_bytes, win > 0 ? (double)c_bytes / win / 1e6 : 0);
    printf("\"lat_n\":%" PRIu64 ",", hist_n);
    if (hist_n) {
        printf("\"lat_p50_us\":%.3f,\"lat_p99_us\":%.3f,\"lat_p999_us\":%.3f,\"lat_max_us\":%.3f,\"lat_mean_us\":%.3f,",
               hist_pct(0.50) / 1e3, hist_pct(0.99) / 1e3, hist_pct(0.999) / 1e3, (double)hist_max / 1e3,
               hist_sum / (double)hist_n / 1e3);
    } else {
        printf("\"lat_p50_us\":null,\"lat_p99_us\":null,\"lat_p999_us\":null,\"lat_max_us\":null,\"lat_mean_us\":null,");
    }
    printf("\"errors\":%" PRIu64 ",\"connect_errors\":%" PRIu64 ",", c_errors, c_connect_errors);
    printf("\"udp_sent\":%" PRIu64 ",\"udp_lost\":%" PRIu64 ",\"udp_late\":%" PRIu64 ",", c_udp_sent, c_udp_lost,
           c_udp_late);
    printf("\"client_cpu_s\":%.6f,\"client_cpu_pct\":%.2f,", ccpu, win > 0 ? ccpu / win * 100 : 0);
    printf("\"server_pid\":%d,", opt.pid);
    if (scpu >= 0) {
        printf("\"server_cpu_s\":%.4f,\"server_cpu_pct\":%.2f,\"server_cpu_us_per_op\":%.4f,", scpu,
               win > 0 ? scpu / win * 100 : 0, ops ? scpu * 1e6 / (double)ops : 0);
        printf("\"server_sched_cpu_s\":%.6f,\"server_sched_cpu_us_per_op\":%.4f,", sched,
               ops ? sched * 1e6 / (double)ops : 0);
        printf("\"server_rss_kb_start\":%ld,\"server_rss_kb_end\":%ld,\"server_hwm_kb\":%ld,\"server_threads\":%d,",
               sa.rss_kb, sb.rss_kb, sb.hwm_kb, sb.threads);
    } else {
        printf("\"server_cpu_s\":null,\"server_cpu_pct\":null,\"server_cpu_us_per_op\":null,");
        printf("\"server_sched_cpu_s\":null,\"server_sched_cpu_us_per_op\":null,");
        printf("\"server_rss_kb_start\":null,\"server_rss_kb_end\":null,\"server_hwm_kb\":null,\"server_threads\":null,");
    }
    if (ya.ok && yb.ok && win > 0) {
        /* machine-wide busy time in the window, in % of one CPU (2 CPUs = 200 %); "other" is what
         * neither this process nor the server used: other load that disturbs the measurement */
        double busy = (double)(yb.busy - ya.busy) / (double)clk_tck / win * 100;
        double steal = (double)(yb.steal - ya.steal) / (double)clk_tck / win * 100;
        double other = busy - (ccpu / win * 100) - (scpu >= 0 ? scpu / win * 100 : 0);
        printf("\"sys_busy_pct\":%.2f,\"sys_steal_pct\":%.2f,\"other_cpu_pct\":%.2f,", busy, steal,
               other > 0 ? other : 0);
    }
    printf("\"usr1\":%s,\"clk_tck\":%ld}\n", opt.usr1 ? "true" : "false", clk_tck);
    fflush(stdout);
    return failed ? 1 : 0;
}
