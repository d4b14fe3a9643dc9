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

Options:
  --buffer-size BYTES      per-connection echo buffer, 1..64M, K/M suffixes (default 64K)
  --backlog N              listen(2) backlog, 1..65535 (default 128)
  --max-clients N          TCP connections served at once; the next is accepted and closed
                           (default: what FD_SETSIZE and the descriptor limit allow)
  --idle-timeout SECONDS   close a connection idle that long in both directions (default 0: never)
  --shutdown-timeout SECONDS
                           on SIGINT/SIGTERM, how long to flush buffered echoes (default 1)
  --allow-service-ports    echo UDP from ports 0, 7, 9, 13, 17, 19, 37 too (off: reflection guard)
  --log-level LEVEL        quiet | error | info | debug | trace (default info)
  --trace                  same as --log-level trace: every select call, its sets and its wait
  --help, --version

Exit status: 0 after SIGINT/SIGTERM, 1 if a socket cannot be bound, 2 on a bad command line.
SIGUSR1 prints the counters to stderr.
""";
}
