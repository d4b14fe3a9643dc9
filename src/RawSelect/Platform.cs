using System;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Interop.Windows;

namespace RawSelect;

/// <summary>
/// The one place the platform is chosen, once, at start: the seam and the selector backend that
/// goes with it. The loop and the handlers are the same everywhere. Two steps, because the
/// selector's capacity depends on the descriptor limit, which is raised through the seam first.
/// </summary>
public static class Platform
{
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

    /// <param name="capacity">Descriptors (Unix: numbers below it) or sockets (Windows: how many) the selector takes.</param>
    public static ISelector CreateSelector(ISocketApi api, int capacity, Log log)
    {
        if (api is WinsockSocketApi winsock) return new WinsockSelector(winsock, log, capacity);
        return new SelectSelector((ISelectApi)api, log, capacity);
    }
}
