/*
 * c_select_echo: the select(2) echo server written carefully in C, the ceiling a select
 * server can reach. A benchmark baseline for RawSelect (scripts/bench.sh).
 *
 *   gcc -O2 -Wall -I../c-common -o c-select-echo c_select_echo.c
 *   c-select-echo [--tcp ADDR:PORT]... [--udp ADDR:PORT]... [--no-tcp] [--no-udp]
 *                 [--buffer-size BYTES] [--backlog N] [--log-level quiet|error|info|debug|trace]
 *                 [--fd-setsize N]
 *
 * Everything but the multiplexer is in ../c-common/echo_common.h (the same for c-poll and
 * c-epoll). Here: one select() loop on fd_sets of our own size.
 *
 * FD_SETSIZE (1024) is glibc's macro, not the kernel's limit: the kernel reads as many bits
 * as nfds says (Net-SNMP's large_fd_set, Ruby's rb_fdset_t and libev do the same). The sets
 * are arrays of 64-bit words sized at start to the descriptor limit (or --fd-setsize N;
 * --fd-setsize 1024 is the classic server), laid out as the kernel reads them; a descriptor
 * at or past that size is never set (checked at accept). calloc'd, so pages no descriptor
 * reaches stay unmapped. Each call copies only the words below nfds (select overwrites its
 * sets), and the result is scanned a word at a time, stopping once every ready fd is seen.
 * No timeout is needed; maxfd is recomputed when the top descriptor closes.
 */
#define MUX_NAME "select"
#include "echo_common.h"
#include <sys/select.h>

static uint64_t *all_r, *all_w, *ready_r, *ready_w;

#define BIT(fd) (1ull << ((unsigned)(fd) & 63))
#define WORD(fd) ((unsigned)(fd) >> 6)

static int mux_init(void)
{
    size_t words = ((size_t)echo_capacity + 63) / 64;
    all_r = calloc(words, 8);
    all_w = calloc(words, 8);
    ready_r = calloc(words, 8);
    ready_w = calloc(words, 8);
    return all_r && all_w && ready_r && ready_w ? 0 : -1;
}

static void mux_add(int fd) { all_r[WORD(fd)] |= BIT(fd); }

static void mux_remove(int fd)
{
    all_r[WORD(fd)] &= ~BIT(fd);
    all_w[WORD(fd)] &= ~BIT(fd);
}

static void mux_want(int fd, int rd, int wr)
{
    if (rd) all_r[WORD(fd)] |= BIT(fd);
    else all_r[WORD(fd)] &= ~BIT(fd);
    if (wr) all_w[WORD(fd)] |= BIT(fd);
    else all_w[WORD(fd)] &= ~BIT(fd);
}

static int mux_wait(void)
{
    int top = maxfd; /* scan only up to maxfd as it was at the call */
    size_t words = (size_t)WORD(top) + 1;
    memcpy(ready_r, all_r, words * 8);
    memcpy(ready_w, all_w, words * 8);
    int nready = select(top + 1, (fd_set *)ready_r, (fd_set *)ready_w, NULL, NULL);
    if (nready < 0) return errno == EINTR ? 0 : -1;
    for (size_t k = 0; k < words && nready > 0; k++) {
        uint64_t any = ready_r[k] | ready_w[k];
        while (any) {
            int bit = __builtin_ctzll(any);
            any &= any - 1;
            int fd = (int)(k * 64) + bit;
            int rd = (ready_r[k] >> bit) & 1, wr = (ready_w[k] >> bit) & 1;
            nready -= rd + wr;
            echo_ready(fd, rd, wr);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    accepts_fd_setsize = 1;
    return echo_main(argc, argv);
}
