/*
 * c_poll_echo: the same echo server as c_select_echo.c on poll(2). A benchmark baseline
 * for `rawselect --backend poll` (scripts/bench.sh).
 *
 *   gcc -O2 -Wall -I../c-common -o c-poll-echo c_poll_echo.c
 *   c-poll-echo [--tcp ADDR:PORT]... [--udp ADDR:PORT]... [--no-tcp] [--no-udp]
 *               [--buffer-size BYTES] [--backlog N] [--log-level quiet|error|info|debug|trace]
 *
 * Everything but the multiplexer is in ../c-common/echo_common.h. Here: one poll() loop on
 * a dense pollfd array (no holes for the kernel to walk): a descriptor's entry index is kept
 * in its slot, and removal moves the last entry into the hole (O(1)). poll has no set size:
 * the capacity is the descriptor limit, raised to the hard limit at start.
 */
#define MUX_NAME "poll"
#include "echo_common.h"
#include <poll.h>

static struct pollfd *pfds;
static int npfd;

static int mux_init(void)
{
    pfds = calloc((size_t)echo_capacity, sizeof *pfds);
    return pfds ? 0 : -1;
}

static void mux_add(int fd)
{
    slots[fd].mux = npfd;
    pfds[npfd].fd = fd;
    pfds[npfd].events = POLLIN;
    pfds[npfd].revents = 0; /* added during a round: nothing to report for it in this round */
    npfd++;
}

static void mux_remove(int fd)
{
    int i = slots[fd].mux, last = --npfd;
    if (i != last) {
        pfds[i] = pfds[last];
        slots[pfds[i].fd].mux = i;
    }
}

static void mux_want(int fd, int rd, int wr)
{
    pfds[slots[fd].mux].events = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
}

static int mux_wait(void)
{
    int nready = poll(pfds, (nfds_t)npfd, -1);
    if (nready < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < npfd && nready > 0;) {
        short re = pfds[i].revents;
        int fd = pfds[i].fd;
        if (!re) {
            i++;
            continue;
        }
        pfds[i].revents = 0;
        nready--;
        /* errors and hang-ups surface through recv/send, as they do with select */
        int bad = (re & (POLLERR | POLLHUP | POLLNVAL)) != 0;
        echo_ready(fd, (re & POLLIN) || bad, (re & POLLOUT) || bad);
        /* closed in the handler: the last entry (with its own revents) moved into i */
        if (i < npfd && pfds[i].fd != fd) continue;
        i++;
    }
    return 0;
}

int main(int argc, char **argv) { return echo_main(argc, argv); }
