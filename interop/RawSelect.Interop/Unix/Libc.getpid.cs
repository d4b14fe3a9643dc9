using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>Cannot fail. Compared with LISTEN_PID (sd_listen_fds(3)).</summary>
    [LibraryImport(Name)]
    public static partial int getpid();
}
