using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// fcntl is variadic in C. Declared with one int argument, which is how F_GETFD/F_SETFD/
    /// F_GETFL/F_SETFL take it: on x86-64 (System V) and on arm64 Linux (AAPCS64, unlike Apple's)
    /// a variadic int travels in the same register as a fixed one.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);
}
