using System;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Interop.Windows;

namespace RawSelect;

/// <summary>
/// The one place the platform is chosen, once, at start: the seam and the selector backend that
/// goes with it. The loop and the handlers are the same everywhere.
/// </summary>
public static class Platform
{
    public static (ISocketApi Api, ISelector Selector) Create(Log log)
    {
        if (OperatingSystem.IsWindows())
        {
            // Winsock: ws2_32 behind the same seam, select on Winsock's own fd_set.
            int r = WinsockSocketApi.Startup(out WinsockSocketApi? winsock);
            if (r < 0) throw new NativeException("WSAStartup", -r, WinsockErrors.Text(-r));
            return (winsock!, new WinsockSelector(winsock!, log));
        }
        UnixSocketApi api = UnixSocketApi.Instance;
        return (api, new SelectSelector(api, log));
    }

    /// <summary>
    /// The seam for what is asked before the server exists (the socket-activation environment):
    /// the same instance Create returns on Unix; null on Windows, which has no such protocol.
    /// </summary>
    public static ISocketApi? ProcessApi => OperatingSystem.IsWindows() ? null : UnixSocketApi.Instance;
}
