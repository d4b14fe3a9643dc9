using System;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// systemd's socket-activation protocol (sd_listen_fds(3)): when LISTEN_PID is our pid, LISTEN_FDS
/// descriptors from 3 are sockets the service manager has bound for us. Read in two steps: the
/// environment first (before the command line is judged, because passed sockets make
/// "--no-tcp --no-udp" valid), then each descriptor, when the server binds.
/// </summary>
public static class SocketActivation
{
    public const int FirstDescriptor = 3; // SD_LISTEN_FDS_START

    private static readonly string[] Variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

    /// <summary>
    /// How many descriptors were passed to this process: 0 when none (no LISTEN_PID, another
    /// process's LISTEN_PID, no LISTEN_FDS, LISTEN_FDS=0), else N; or -1 and a one-line error
    /// when LISTEN_FDS is not a usable count or counts a descriptor that is not open. The
    /// variables are removed from the environment either way, as sd_listen_fds(1) does, so
    /// nothing we start could take them for its own. Each passed descriptor is made
    /// close-on-exec here, at once, as sd_listen_fds does: this also proves each is open before
    /// anything (the runtime, us) opens a file that would take a missing one's number.
    /// </summary>
    public static int ReadEnvironment(ISocketApi api, out string? error)
    {
        error = null;
        string? pidText = api.GetEnvironment("LISTEN_PID");
        string? fdsText = api.GetEnvironment("LISTEN_FDS");
        if (pidText is not null || fdsText is not null || api.GetEnvironment("LISTEN_FDNAMES") is not null)
            foreach (string v in Variables) api.UnsetEnvironment(v);

        // A LISTEN_PID that is not a number names no process, so it is not ours either: ignored,
        // like one naming another process (a wrapper that forked instead of exec'ing).
        if (pidText is null || !Options.TryParseCount(pidText, out long pid)) return 0;
        int self = api.ProcessId();
        if (self <= 0 || pid != self) return 0;
        if (fdsText is null) return 0;
        // Exit rather than ignore: the manager meant to hand us sockets, and serving the defaults
        // instead would be the wrong service on the wrong ports.
        if (!Options.TryParseCount(fdsText, out long n) || n > int.MaxValue - FirstDescriptor)
        {
            error = $"socket activation: LISTEN_FDS='{fdsText}' is not a count of descriptors (expected a whole number from 0 to {int.MaxValue - FirstDescriptor})";
            return -1;
        }
        for (int i = 0; i < n; i++)
        {
            var s = SocketHandle.FromFd(FirstDescriptor + (int)i);
            int r = api.SetCloseOnExec(s);
            if (r == -Errno.EBADF)
            {
                error = $"socket activation: descriptor {s} is not open (LISTEN_FDS={n} counts descriptors {FirstDescriptor} to {FirstDescriptor + n - 1})";
                return -1;
            }
            if (r < 0)
            {
                error = $"socket activation: descriptor {s}: fcntl(F_SETFD, FD_CLOEXEC): {Text(api, -r)}";
                return -1;
            }
        }
        return (int)n;
    }

    /// <summary>
    /// Checks that a passed descriptor is an AF_INET/AF_INET6 TCP listener or UDP socket, makes it
    /// non-blocking, and returns its bound address. Null on success, else a
    /// one-line message naming the descriptor and what it is.
    /// </summary>
    public static string? Adopt(ISocketApi api, SocketHandle s, out bool stream, out NetAddress address)
    {
        stream = false;
        address = default;
        string fd = "socket activation: descriptor " + s;
        int r = api.QuerySocket(s, out SocketFacts f);
        if (r == -Errno.EBADF) return $"{fd} is not open (LISTEN_FDS counts more descriptors than were passed)";
        if (r == -Errno.ENOTSOCK) return $"{fd} is {NotASocket(api.DescribeDescriptor(s))}, not a socket";
        if (r < 0) return $"{fd}: getsockopt: {Text(api, -r)}";

        string kind = f.Kind switch
        {
            SocketKind.Stream => "stream",
            SocketKind.Datagram => "datagram",
            SocketKind.SeqPacket => "seqpacket",
            SocketKind.Raw => "raw",
            _ => $"type {f.RawType}",
        };
        if (f.Domain is not (SocketDomain.IPv4 or SocketDomain.IPv6))
        {
            string family = f.Domain == SocketDomain.Unix ? "unix" : $"family {f.RawDomain}";
            return $"{fd} is a {family} {kind} socket, not an AF_INET/AF_INET6 socket";
        }
        string inet = f.Domain == SocketDomain.IPv4 ? "AF_INET" : "AF_INET6";
        if (f.Kind is not (SocketKind.Stream or SocketKind.Datagram))
            return $"{fd} is an {inet} {kind} socket, not a stream or datagram socket";
        stream = f.Kind == SocketKind.Stream;
        if (f.Protocol >= 0 && (stream
                ? f.Protocol is not (SocketFacts.ProtocolTcp or SocketFacts.ProtocolMptcp)
                : f.Protocol is not (SocketFacts.ProtocolUdp or SocketFacts.ProtocolUdpLite)))
            return $"{fd} is an {inet} {kind} socket of protocol {f.Protocol}, not {(stream ? "TCP" : "UDP")}";
        if (stream && !f.Listening)
            return $"{fd} is an {inet} stream socket that is not listening (a connection, or never listen()ed), not a TCP listener";

        r = api.GetSockName(s, out address);
        if (r < 0) return $"{fd}: getsockname: {Text(api, -r)}";
        r = api.SetNonBlocking(s);
        if (r < 0) return $"{fd}: fcntl(F_SETFL, O_NONBLOCK): {Text(api, -r)}";
        return null;
    }

    /// <summary>Linux names a descriptor's file in /proc/self/fd: "pipe:[123]", "/dev/null", "anon_inode:[eventfd]".</summary>
    private static string NotASocket(string? target)
    {
        if (string.IsNullOrEmpty(target)) return "something";
        if (target.StartsWith("pipe:", StringComparison.Ordinal)) return "a pipe";
        if (target.StartsWith("/", StringComparison.Ordinal)) return $"the file {Program.OneLine(target)}";
        return Program.OneLine(target);
    }

    private static string Text(ISocketApi api, int errno) =>
        Errno.Describe(errno, api.ErrorText(errno));
}
