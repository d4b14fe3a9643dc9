using System;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Interop.Windows;

namespace RawSelect;

/// <summary>
/// The one place the platform is chosen, once, at start: the seam and the selector backend that
/// goes with it (--backend). The loop and the handlers are the same everywhere.
/// </summary>
public static class Platform
{
    /// <summary>
    /// Null if this platform has the backend; else the one-line reason (a usage error: exit 2).
    /// Winsock has select only.
    /// </summary>
    public static string? Unavailable(SelectorBackend backend) => Unavailable(backend, OperatingSystem.IsWindows());

    public static string? Unavailable(SelectorBackend backend, bool windows) =>
        windows && backend != SelectorBackend.Select
            ? $"--backend {Name(backend)} is not available on Windows (only select)"
            : null;

    /// <summary>The backend as --backend spells it.</summary>
    public static string Name(SelectorBackend backend) => backend switch
    {
        SelectorBackend.Poll => "poll",
        SelectorBackend.Epoll => "epoll",
        _ => "select",
    };

    public static (ISocketApi Api, ISelector Selector) Create(Log log, SelectorBackend backend = SelectorBackend.Select)
    {
        if (Unavailable(backend) is string why) throw new ArgumentException(why, nameof(backend));
        if (OperatingSystem.IsWindows())
        {
            // Winsock: ws2_32 behind the same seam, select on Winsock's own fd_set.
            int r = WinsockSocketApi.Startup(out WinsockSocketApi? winsock);
            if (r < 0) throw new NativeException("WSAStartup", -r, WinsockErrors.Text(-r));
            return (winsock!, new WinsockSelector(winsock!, log));
        }
        UnixSocketApi api = UnixSocketApi.Instance;
        return backend switch
        {
            SelectorBackend.Poll => (api, new PollSelector(UnixPollApi.Instance, UnixCapacity(api), log)),
            SelectorBackend.Epoll => (api, new EpollSelector(new UnixEpollApi(), UnixCapacity(api), log)),
            _ => (api, new SelectSelector(api, log)),
        };
    }

    /// <summary>
    /// poll and epoll have no FD_SETSIZE: every descriptor the process may open fits, so their
    /// capacity is the descriptor limit as it stands now (read after any raise of it). Their
    /// tables grow with the descriptors really registered, so a limit of millions costs nothing
    /// until it is used.
    /// </summary>
    private static int UnixCapacity(UnixSocketApi api)
    {
        long limit = api.DescriptorLimit();
        if (limit <= 0) return Libc.FD_SETSIZE; // getrlimit cannot fail for RLIMIT_NOFILE; be safe anyway
        return (int)Math.Min(limit, int.MaxValue);
    }

    /// <summary>
    /// The seam for what is asked before the server exists (the socket-activation environment):
    /// the same instance Create returns on Unix; null on Windows, which has no such protocol.
    /// </summary>
    public static ISocketApi? ProcessApi => OperatingSystem.IsWindows() ? null : UnixSocketApi.Instance;
}
