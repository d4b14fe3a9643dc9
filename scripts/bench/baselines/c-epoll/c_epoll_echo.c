/*
 * c_epoll_echo: the same echo server as c_select_echo.c on epoll(7), level-triggered. A
 * benchmark baseline for `rawselect --backend epoll` (scripts/bench.sh).
 *
 *   gcc -O2 -Wall -I../c-common -o c-epoll-echo c_epoll_echo.c
 *   c-epoll-echo [--tcp ADDR:PORT]... [--udp ADDR:PORT]... [--no-tcp] [--no-udp]
 *                [--buffer-size BYTES] [--backlog N] [--log-level quiet|error|info|debug|trace]
 *
 * Everything but the multiplexer is in ../c-common/echo_common.h. Here: epoll_create1
 * (EPOLL_CLOEXEC), the interest list kept in the kernel and changed with epoll_ctl only when
 * what a descriptor waits for changes (its current events are kept in its slot), and one
 * epoll_wait into a fixed array of 256 events per turn. Level-triggered, so a handler sees
 * exactly the readiness select would show it and the echo code is the same. A descriptor
 * leaves the interest list (EPOLL_CTL_DEL) before it is closed.
 */
#define MUX_NAME "epoll"
#include "echo_common.h"
#include <sys/epoll.h>

#define MAX_EVENTS 256
static int epfd = -1;
static struct epoll_event events[MAX_EVENTS];

static int mux_init(void)
{
    epfd = epoll_create1(EPOLL_CLOEXEC);
    return epfd < 0 ? -1 : 0;
}

static void mux_ctl(int op, int fd, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.fd = fd};
    if (epoll_ctl(epfd, op, fd, &e) < 0 && log_level >= L_ERROR)
        fprintf(stderr, "error: epoll_ctl fd %d: %s\n", fd, strerror(errno));
}

static void mux_add(int fd)
{
    slots[fd].mux = EPOLLIN;
    mux_ctl(EPOLL_CTL_ADD, fd, EPOLLIN);
}

static void mux_remove(int fd) { mux_ctl(EPOLL_CTL_DEL, fd, 0); }

static void mux_want(int fd, int rd, int wr)
{
    uint32_t ev = (rd ? EPOLLIN : 0) | (wr ? EPOLLOUT : 0);
    if ((uint32_t)slots[fd].mux == ev) return;
    slots[fd].mux = (int)ev;
    mux_ctl(EPOLL_CTL_MOD, fd, ev);
}

static int mux_wait(void)
{
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int k = 0; k < n; k++) {
        uint32_t re = events[k].events;
        int bad = (re & (EPOLLERR | EPOLLHUP)) != 0;
        echo_ready(events[k].data.fd, (re & EPOLLIN) || bad, (re & EPOLLOUT) || bad);
    }
    return 0;
}

int main(int argc, char **argv) { return echo_main(argc, argv); }
