using System;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

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
            throw new PlatformNotSupportedException("the Winsock backend is not built yet");
        UnixSocketApi api = UnixSocketApi.Instance;
        return (api, new SelectSelector(api, log));
    }
}
