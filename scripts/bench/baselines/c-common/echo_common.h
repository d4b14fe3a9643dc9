/*
 * echo_common.h: everything the three C baselines (c-select, c-poll, c-epoll) share, so
 * that they differ in the multiplexer and nothing else. Included once, by one .c file;
 * everything is static, so gcc -O2 inlines across it as if it were one file.
 *
 * The server file defines, before the main loop runs:
 *   MUX_NAME                    "select", "poll" or "epoll" (messages, counter name)
 *   static int mux_init(void)   after the descriptor limit is known (echo_capacity)
 *   static void mux_add(int fd)                 start watching fd for reading
 *   static void mux_remove(int fd)              stop watching fd (before close)
 *   static void mux_want(int fd, int rd, int wr) change what fd is watched for
 *   static int mux_wait(void)   one wait: calls echo_ready(fd, rd, wr) for each ready fd;
 *                               returns -1 on a fatal error (EINTR is not one)
 * and calls echo_main(argc, argv) from main().
 *
 * The design (the same as RawSelect's, and as the original c_select_echo.c):
 *  - every socket non-blocking; accept4(SOCK_NONBLOCK|SOCK_CLOEXEC); send(MSG_NOSIGNAL)
 *  - the soft RLIMIT_NOFILE is raised to the hard limit at start (as nginx and Redis do);
 *    a descriptor at or past the multiplexer's capacity is closed at once and counted
 *  - EMFILE/ENFILE on accept: a spare descriptor is released, the connection accepted and
 *    closed, the spare retaken (otherwise the listener stays readable and the loop spins)
 *  - TCP echo: recv into one shared 'scratch' buffer, send at once; what the kernel does
 *    not take is copied to a per-connection buffer (allocated then, freed when drained) and
 *    the fd is watched for writing instead of reading: backpressure, memory per connection
 *    capped at --buffer-size, idle connections hold no buffer
 *  - TCP_NODELAY and SO_OOBINLINE on every accepted socket (urgent bytes are echoed in line)
 *  - EOF: the rest is flushed, then shutdown + close
 *  - UDP: whole datagrams up to 64 KiB (MSG_TRUNC detects longer ones), up to 64 per wake,
 *    echoed with sendto; datagrams from well-known service ports are dropped (reflection)
 *  - SIGTERM/SIGINT: a flag plus a self-pipe byte wakes the wait; exit 0
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

enum { L_QUIET, L_ERROR, L_INFO, L_DEBUG, L_TRACE };
static int log_level = L_INFO;
static size_t buffer_size = 64 * 1024;
static int backlog = 128;
static long fd_setsize_opt;    /* --fd-setsize (select only; 0: not given) */
static int accepts_fd_setsize; /* set by the select server before echo_main */

#define MAX_LISTEN 16
static struct sockaddr_storage tcp_addrs[MAX_LISTEN], udp_addrs[MAX_LISTEN];
static socklen_t tcp_lens[MAX_LISTEN], udp_lens[MAX_LISTEN];
static int ntcp, nudp, no_tcp, no_udp;

/* descriptor roles, indexed by fd (< echo_capacity by construction) */
enum { R_NONE, R_LISTEN, R_UDP, R_CONN, R_WAKE };
typedef struct {
    uint8_t role;
    uint8_t eof;       /* peer half-closed: flush, then close */
    uint32_t len, off; /* pending bytes in buf[off, off+len) */
    uint8_t *buf;      /* NULL while nothing is pending */
    int mux;           /* the multiplexer's own per-fd word (poll: index; epoll: events) */
} slot;
static slot *slots;        /* echo_capacity entries; calloc'd, so untouched pages stay unmapped */
static long echo_limit;    /* RLIMIT_NOFILE after raising it */
static long echo_capacity; /* highest fd + 1 the multiplexer accepts (select: the bitmap size) */
static int maxfd = -1;
static uint8_t *scratch;
static int spare_fd = -1;

static volatile sig_atomic_t stop;
static int wake_pipe[2] = {-1, -1};

static struct {
    unsigned long long accepted, closed, refused_capacity, emfile, bytes, recvs, sends, partial,
        udp_in, udp_out, udp_dropped, udp_trunc, waits;
} ctr;

static int mux_init(void);
static void mux_add(int fd);
static void mux_remove(int fd);
static void mux_want(int fd, int rd, int wr);
static int mux_wait(void);

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
    int e = errno;
    ssize_t r = write(wake_pipe[1], "x", 1);
    (void)r;
    errno = e;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (!colon) return -1;
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof host) return -1;
    memcpy(host, s, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || colon[1] == 0) return -1;
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) return -1;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof *a;
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof *a;
    return 0;
}

static void fmt_addr(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char h[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
        snprintf(out, cap, "[%s]:%u", h, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
        snprintf(out, cap, "%s:%u", h, ntohs(a->sin_port));
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: c-%s-echo [--tcp ADDR:PORT]... [--udp ADDR:PORT]... [--no-tcp] [--no-udp]\n"
               "           [--buffer-size BYTES] [--backlog N] [--log-level quiet|error|info|debug|trace]%s\n",
            MUX_NAME, accepts_fd_setsize ? "\n           [--fd-setsize N]" : "");
}

static void track(int fd, int role)
{
    slots[fd].role = (uint8_t)role;
    mux_add(fd);
    if (fd > maxfd) maxfd = fd;
}

static void untrack_close(int fd)
{
    mux_remove(fd);
    free(slots[fd].buf);
    memset(&slots[fd], 0, sizeof slots[fd]);
    close(fd);
    if (fd == maxfd)
        while (maxfd >= 0 && slots[maxfd].role == R_NONE) maxfd--;
}

static void conn_close(int fd)
{
    ctr.closed++;
    untrack_close(fd);
}

/* Sends pending bytes; watches the fd for reading again once they are all gone. */
static void conn_flush(int fd)
{
    slot *s = &slots[fd];
    while (s->len) {
        ssize_t n = send(fd, s->buf + s->off, s->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        ctr.sends++;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            conn_close(fd);
            return;
        }
        s->off += (uint32_t)n;
        s->len -= (uint32_t)n;
    }
    if (s->len) return; /* still blocked: stays watched for writing */
    free(s->buf);
    s->buf = NULL;
    s->off = 0;
    if (s->eof) {
        shutdown(fd, SHUT_WR);
        conn_close(fd);
        return;
    }
    mux_want(fd, 1, 0);
}

static void conn_readable(int fd)
{
    ssize_t n;
    for (;;) {
        n = recv(fd, scratch, buffer_size, MSG_DONTWAIT);
        ctr.recvs++;
        if (n >= 0 || errno != EINTR) break;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        conn_close(fd); /* ECONNRESET etc. */
        return;
    }
    if (n == 0) {
        shutdown(fd, SHUT_WR);
        conn_close(fd);
        return;
    }
    ctr.bytes += (unsigned long long)n;
    size_t done = 0;
    while (done < (size_t)n) {
        ssize_t w = send(fd, scratch + done, (size_t)n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        ctr.sends++;
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            conn_close(fd);
            return;
        }
        done += (size_t)w;
    }
    if (done == (size_t)n) return;
    /* the kernel took part of it: keep the rest, stop reading until it is flushed */
    ctr.partial++;
    slot *s = &slots[fd];
    s->buf = malloc(buffer_size);
    if (!s->buf) {
        conn_close(fd);
        return;
    }
    s->len = (uint32_t)((size_t)n - done);
    s->off = 0;
    memcpy(s->buf, scratch + done, s->len);
    mux_want(fd, 0, 1);
}

static void do_accept(int lfd)
{
    for (int k = 0; k < 64; k++) { /* bounded work per wake-up */
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == ECONNABORTED || errno == EPROTO) continue;
            if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
                ctr.emfile++;
                close(spare_fd);
                int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                if (c >= 0) close(c);
                spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                continue;
            }
            if (log_level >= L_ERROR) fprintf(stderr, "error: accept: %s\n", strerror(errno));
            return;
        }
        if (fd >= echo_capacity) { /* never watch past what the multiplexer holds */
            ctr.refused_capacity++;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        /* urgent (MSG_OOB) bytes come back in order with the rest, as RawSelect does (issue 9) */
        setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
        ctr.accepted++;
        track(fd, R_CONN);
    }
}

static int blocked_port(const struct sockaddr_storage *ss)
{
    unsigned port = ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
                                              : ntohs(((const struct sockaddr_in *)ss)->sin_port);
    switch (port) {
    case 0: case 7: case 9: case 13: case 17: case 19: case 37: return 1;
    default: return 0;
    }
}

static void udp_readable(int fd)
{
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, scratch, 65536, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == EINTR) continue;
            return; /* EAGAIN, or an ICMP error surfaced: nothing to echo */
        }
        ctr.udp_in++;
        if (n > 65536) { /* truncated: never echo a cut datagram */
            ctr.udp_trunc++;
            continue;
        }
        if (blocked_port(&from)) {
            ctr.udp_dropped++;
            continue;
        }
        if (sendto(fd, scratch, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&from, fl) >= 0)
            ctr.udp_out++;
        else
            ctr.udp_dropped++; /* EAGAIN: UDP may drop */
    }
}

/* One ready descriptor, as the multiplexer reported it. */
static inline void echo_ready(int fd, int rd, int wr)
{
    switch (slots[fd].role) {
    case R_LISTEN: do_accept(fd); break;
    case R_UDP: udp_readable(fd); break;
    case R_WAKE: {
        char b[64];
        while (read(fd, b, sizeof b) > 0) {}
        break;
    }
    case R_CONN:
        if (wr && slots[fd].buf) conn_flush(fd);
        else if (rd && !slots[fd].buf) conn_readable(fd);
        break;
    default: break; /* closed earlier in this round */
    }
}

static int open_listener(int type, struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)ss, len) < 0) goto fail;
    if (type == SOCK_STREAM && listen(fd, backlog) < 0) goto fail;
    if (fd >= echo_capacity) {
        errno = EMFILE;
        goto fail;
    }
    socklen_t l = sizeof *ss;
    getsockname(fd, (struct sockaddr *)ss, &l);
    return fd;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* The soft descriptor limit raised to the hard one; returns it (capped: a table per fd). */
static long raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) rl.rlim_cur = was;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 24)) return 1 << 24;
    return (long)rl.rlim_cur;
}

static int echo_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--tcp") || !strcmp(a, "--udp")) {
            int tcp = a[2] == 't';
            if (!v || (tcp ? ntcp : nudp) >= MAX_LISTEN) goto bad;
            int k = tcp ? ntcp++ : nudp++;
            if (parse_addr(v, tcp ? &tcp_addrs[k] : &udp_addrs[k], tcp ? &tcp_lens[k] : &udp_lens[k]) < 0) {
                fprintf(stderr, "c-%s-echo: invalid address '%s' for %s\n", MUX_NAME, v, a);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--no-tcp")) no_tcp = 1;
        else if (!strcmp(a, "--no-udp")) no_udp = 1;
        else if (!strcmp(a, "--buffer-size")) {
            if (!v) goto bad;
            long n = atol(v);
            if (n < 1 || n > 64L * 1024 * 1024) goto bad;
            buffer_size = (size_t)n;
            i++;
        } else if (!strcmp(a, "--backlog")) {
            if (!v || atoi(v) < 1) goto bad;
            backlog = atoi(v);
            i++;
        } else if (!strcmp(a, "--fd-setsize") && accepts_fd_setsize) {
            char *end;
            if (!v) goto bad;
            fd_setsize_opt = strtol(v, &end, 10);
            if (*end || fd_setsize_opt < 1) goto bad;
            i++;
        } else if (!strcmp(a, "--log-level")) {
            static const char *names[] = {"quiet", "error", "info", "debug", "trace"};
            int found = -1;
            for (int k = 0; k < 5 && v; k++)
                if (!strcmp(v, names[k])) found = k;
            if (found < 0) goto bad;
            log_level = found;
            i++;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            goto bad;
        }
    }
    if (!ntcp && !no_tcp) parse_addr("127.0.0.1:5000", &tcp_addrs[ntcp], &tcp_lens[ntcp]), ntcp++;
    if (!nudp && !no_udp) parse_addr("127.0.0.1:6000", &udp_addrs[nudp], &udp_lens[nudp]), nudp++;
    if (no_tcp) ntcp = 0;
    if (no_udp) nudp = 0;

    echo_limit = raise_nofile();
    if (fd_setsize_opt > echo_limit) {
        fprintf(stderr, "c-%s-echo: --fd-setsize %ld is above the descriptor limit %ld\n", MUX_NAME,
                fd_setsize_opt, echo_limit);
        return 2;
    }
    echo_capacity = fd_setsize_opt ? fd_setsize_opt : echo_limit;
    slots = calloc((size_t)echo_capacity, sizeof *slots);
    if (!slots || mux_init() < 0) {
        fprintf(stderr, "c-%s-echo: cannot set up the %s tables: %s\n", MUX_NAME, MUX_NAME, strerror(errno));
        return 1;
    }

    signal(SIGPIPE, SIG_IGN);
    if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0) return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* scratch must hold a whole datagram too */
    scratch = malloc(buffer_size > 65536 ? buffer_size : 65536);
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    track(wake_pipe[0], R_WAKE);
    if (log_level >= L_DEBUG)
        fprintf(stderr, "debug: %s, descriptor limit %ld, capacity %ld\n", MUX_NAME, echo_limit, echo_capacity);

    char text[96];
    for (int k = 0; k < ntcp; k++) {
        int fd = open_listener(SOCK_STREAM, &tcp_addrs[k], tcp_lens[k]);
        fmt_addr(&tcp_addrs[k], text, sizeof text);
        if (fd < 0) {
            fprintf(stderr, "c-%s-echo: cannot listen on tcp %s: %s\n", MUX_NAME, text, strerror(errno));
            return 1;
        }
        track(fd, R_LISTEN);
        printf("listening tcp %s\n", text);
    }
    for (int k = 0; k < nudp; k++) {
        int fd = open_listener(SOCK_DGRAM, &udp_addrs[k], udp_lens[k]);
        fmt_addr(&udp_addrs[k], text, sizeof text);
        if (fd < 0) {
            fprintf(stderr, "c-%s-echo: cannot bind udp %s: %s\n", MUX_NAME, text, strerror(errno));
            return 1;
        }
        track(fd, R_UDP);
        printf("listening udp %s\n", text);
    }
    fflush(stdout);

    while (!stop) {
        ctr.waits++;
        if (mux_wait() < 0) {
            if (log_level >= L_ERROR) fprintf(stderr, "error: %s: %s\n", MUX_NAME, strerror(errno));
            return 1;
        }
    }

    /* shutdown: flush what is buffered (bounded: one non-blocking try), close all */
    for (int fd = 0; fd <= maxfd; fd++) {
        if (slots[fd].role == R_CONN && slots[fd].buf) conn_flush(fd);
        if (slots[fd].role != R_NONE) untrack_close(fd);
    }
    if (log_level >= L_INFO)
        fprintf(stderr,
                "counters: accepted=%llu closed=%llu refused_capacity=%llu emfile=%llu bytes=%llu recvs=%llu "
                "sends=%llu partial=%llu udp_in=%llu udp_out=%llu udp_dropped=%llu udp_trunc=%llu %s_calls=%llu\n",
                ctr.accepted, ctr.closed, ctr.refused_capacity, ctr.emfile, ctr.bytes, ctr.recvs, ctr.sends,
                ctr.partial, ctr.udp_in, ctr.udp_out, ctr.udp_dropped, ctr.udp_trunc, MUX_NAME, ctr.waits);
    return 0;

bad:
    usage(stderr);
    return 2;
}
