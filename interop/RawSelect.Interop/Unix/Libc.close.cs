using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>Never retried on EINTR: on Linux the descriptor is released whatever close returns.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int close(int fd);
}
