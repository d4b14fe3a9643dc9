using System;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Interop.Windows;

namespace RawSelect;

/// <summary>
/// The one place the platform is chosen, once, at start: the seam and the selector backend that
/// goes with it (--backend). The loop and the handlers are the same everywhere. Two steps,
/// because the selector's capacity depends on the descriptor limit, which is raised through the
/// seam first.
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

    public static ISocketApi CreateApi()
    {
        if (OperatingSystem.IsWindows())
        {
            // Winsock: ws2_32 behind the same seam, select on Winsock's own fd_set.
            int r = WinsockSocketApi.Startup(out WinsockSocketApi? winsock);
            if (r < 0) throw new NativeException("WSAStartup", -r, WinsockErrors.Text(-r));
            return winsock!;
        }
        return UnixSocketApi.Instance;
    }

    /// <param name="capacity">Descriptors (Unix: numbers below it) or sockets (Windows: how
    /// many) the selector takes: --fd-setsize, by default the descriptor limit, for every backend.
    /// poll's and epoll's tables, like select's bitmaps, grow with the descriptors really
    /// registered, so a limit of millions costs nothing until it is used.</param>
    public static ISelector CreateSelector(ISocketApi api, int capacity, Log log, SelectorBackend backend = SelectorBackend.Select)
    {
        if (Unavailable(backend) is string why) throw new ArgumentException(why, nameof(backend));
        if (api is WinsockSocketApi winsock) return new WinsockSelector(winsock, log, capacity);
        return backend switch
        {
            SelectorBackend.Poll => new PollSelector(UnixPollApi.Instance, capacity, log),
            SelectorBackend.Epoll => new EpollSelector(new UnixEpollApi(), capacity, log),
            _ => new SelectSelector((ISelectApi)api, log, capacity),
        };
    }

    /// <summary>
    /// The seam for what is asked before the server exists (the socket-activation environment):
    /// the same instance CreateApi returns on Unix; null on Windows, which has no such protocol.
    /// </summary>
    public static ISocketApi? ProcessApi => OperatingSystem.IsWindows() ? null : UnixSocketApi.Instance;
}
