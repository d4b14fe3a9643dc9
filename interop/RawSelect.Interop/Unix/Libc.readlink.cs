using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>Used on /proc/self/fd/N to say what a descriptor that is not a socket is.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nint readlink(byte* pathname, byte* buf, nuint bufsiz);
}
