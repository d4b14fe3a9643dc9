namespace RawSelect;

public static class HelpText
{
    public static readonly string Version = VersionLine.Format(BuildInfo.Version, BuildInfo.Commit, BuildInfo.Target, BuildInfo.GlibcFloor);

    public const string Usage =
"""
Usage: rawselect [--tcp ADDR:PORT]... [--udp ADDR:PORT]... [options]

A TCP and UDP echo server on one thread and one select(2) loop.

Listeners (each may be repeated; the first --tcp/--udp replaces that default):
  --tcp ADDR:PORT          TCP echo listener (default 127.0.0.1:5000)
  --udp ADDR:PORT          UDP echo socket   (default 127.0.0.1:6000)
  --no-tcp, --no-udp       serve no TCP / no UDP
      ADDR is an IPv4 literal, an IPv6 literal in brackets ([::1], [::]) or localhost.
      PORT 0 picks a free port; the "listening" lines on stdout give the real one.
  Socket activation (systemd, sd_listen_fds): sockets passed in LISTEN_FDS are served first,
      and the defaults are not bound; --tcp/--udp add listeners beside them.

Options:
  --buffer-size BYTES      per-connection echo buffer, 1..64M, K/M suffixes (default 64K)
  --backlog N              listen(2) backlog, 1..65535 (default 128)
  --max-clients N          TCP connections served at once; the next is accepted and closed
                           (default: what --fd-setsize and the descriptor limit allow)
  --fd-setsize N           select's set size: descriptors >= N are refused (Windows: at most N
                           sockets); default: the descriptor limit, raised to the hard limit at
                           start (Windows: 16384); 1024 is the classic FD_SETSIZE
  --idle-timeout SECONDS   close a connection idle that long in both directions (default 0: never)
  --shutdown-timeout SECONDS
                           on SIGINT/SIGTERM, how long to flush buffered echoes (default 1)
  --allow-service-ports    echo UDP from ports 0, 7, 9, 13, 17, 19, 37 too (off: reflection guard)
  --backend NAME           the multiplexer: select (default), poll or epoll (Linux); Windows
                           has select only
  --loops N|auto           event loops, each on its own thread with its own listeners
                           (SO_REUSEPORT) and connections (default 1: one loop on the main
                           thread); auto: the CPUs this process may use (Linux; Windows: 1 only)
  --user NAME|UID          after binding, become this user (its groups from /etc/group);
                           needed to serve port 7 without staying root
  --group NAME|GID         with --user: this primary group instead of the user's own
  --log-level LEVEL        quiet | error | info | debug | trace (default info)
  --trace                  same as --log-level trace: every select/poll/epoll call, what it
                           was given, what it returned and how long it waited
  --trace-file PATH        write the trace to PATH (appended, created 0600) instead of stderr
  --log-timestamps on|off  start each stderr line with a UTC timestamp (default: on, except
                           under the systemd journal, which stamps lines itself)
  --help, --version

Exit status: 0 after SIGINT/SIGTERM; 1 if a socket cannot be bound or a passed one is not a TCP
listener or UDP socket, or privileges cannot be dropped; 2 on a bad command line or unknown user.
SIGUSR1 prints the counters to stderr.
""";
}
