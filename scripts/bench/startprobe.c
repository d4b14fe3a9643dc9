/*
 * startprobe: how long a server takes from exec to its "listening" lines, how much memory
 * it holds idle, and whether SIGTERM makes it exit 0 (and how fast).
 *
 *   gcc -O2 -Wall -o startprobe startprobe.c
 *   startprobe [--lines 2] [--settle-ms 300] [--timeout-ms 10000] [--stderr FILE] -- CMD ARGS...
 *
 * The clock starts just before posix_spawn and stops when the N-th line beginning with
 * "listening " has been read from the child's stdout (a pipe). After --settle-ms the
 * child's VmRSS/VmHWM/Threads are read from /proc, then SIGTERM is sent and the exit is
 * awaited (SIGKILL after the timeout). Prints one JSON line; exit 0 when the server
 * listened and exited 0, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void json_escape(const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
}

int main(int argc, char **argv)
{
    int lines = 2, settle_ms = 300, timeout_ms = 10000;
    const char *err_path = "/dev/null";
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) { i++; break; }
        if (i + 1 >= argc) goto usage;
        if (!strcmp(argv[i], "--lines")) lines = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--settle-ms")) settle_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--timeout-ms")) timeout_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--stderr")) err_path = argv[++i];
        else goto usage;
    }
    if (i >= argc || lines < 1) goto usage;

    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);

    char out[8192];
    size_t outlen = 0;
    int seen = 0;
    const char *error = "";
    double listen_ms = -1, exit_ms = -1;
    long rss_kb = -1, hwm_kb = -1;
    int threads = -1, status = -1, killed = 0;

    pid_t pid;
    double t0 = now_ms();
    int rc = posix_spawn(&pid, argv[i], &fa, NULL, &argv[i], environ);
    if (rc != 0) {
        printf("{\"ok\":false,\"error\":\"spawn: %s\"}\n", strerror(rc));
        return 1;
    }
    close(p[1]);

    /* read stdout until N "listening " lines */
    size_t line_start = 0;
    while (seen < lines) {
        double left = timeout_ms - (now_ms() - t0);
        if (left <= 0) { error = "timed out waiting for the listening lines"; break; }
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        int n = poll(&pf, 1, (int)left + 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        if (outlen >= sizeof out - 1) { error = "too much output before the listening lines"; break; }
        ssize_t r = read(p[0], out + outlen, sizeof out - 1 - outlen);
        if (r <= 0) { error = "stdout closed before the listening lines (server exited?)"; break; }
        outlen += (size_t)r;
        for (size_t k = line_start; k < outlen; k++) {
            if (out[k] != '\n') continue;
            if (k - line_start >= 10 && !memcmp(out + line_start, "listening ", 10)) {
                seen++;
                if (seen == lines) listen_ms = now_ms() - t0;
            }
            line_start = k + 1;
        }
    }
    out[outlen] = 0;

    if (seen == lines) {
        /* settle, draining stdout so the server never blocks on it */
        double until = now_ms() + settle_ms;
        for (;;) {
            double left = until - now_ms();
            if (left <= 0) break;
            struct pollfd pf = {.fd = p[0], .events = POLLIN};
            if (poll(&pf, 1, (int)left + 1) > 0) {
                char junk[4096];
                if (read(p[0], junk, sizeof junk) <= 0) break;
            }
        }
        char path[64], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/status", pid);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n > 0) {
                buf[n] = 0;
                char *q;
                if ((q = strstr(buf, "VmRSS:"))) rss_kb = strtol(q + 6, NULL, 10);
                if ((q = strstr(buf, "VmHWM:"))) hwm_kb = strtol(q + 6, NULL, 10);
                if ((q = strstr(buf, "Threads:"))) threads = (int)strtol(q + 8, NULL, 10);
            }
        }
    }

    /* SIGTERM, then wait (SIGKILL after the timeout) */
    double tk = now_ms();
    kill(pid, SIGTERM);
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) { exit_ms = now_ms() - tk; break; }
        if (now_ms() - tk > timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            killed = 1;
            if (!*error) error = "did not exit within the timeout after SIGTERM";
            break;
        }
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (!*error && exit_code != 0) error = sig ? "killed by a signal after SIGTERM" : "non-zero exit after SIGTERM";
    int ok = !*error;

    printf("{\"ok\":%s,\"error\":\"", ok ? "true" : "false");
    json_escape(error);
    printf("\",\"listen_ms\":%.3f,\"idle_rss_kb\":%ld,\"idle_hwm_kb\":%ld,\"threads\":%d,"
           "\"exit_ms\":%.3f,\"exit_code\":%d,\"signal\":%d,\"killed\":%s,\"stdout\":\"",
           listen_ms, rss_kb, hwm_kb, threads, exit_ms, exit_code, sig, killed ? "true" : "false");
    json_escape(out);
    printf("\"}\n");
    return ok ? 0 : 1;

usage:
    fprintf(stderr, "usage: startprobe [--lines N] [--settle-ms MS] [--timeout-ms MS] [--stderr FILE] -- CMD ARGS...\n");
    return 2;
}
