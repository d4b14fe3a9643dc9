using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// ioctl is variadic in C (`unsigned long request, ...`). Declared with the one pointer
    /// argument the requests used here take: on x86-64 (System V) and arm64 Linux (AAPCS64) a
    /// variadic pointer travels in the same register as a fixed one.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int ioctl(int fd, nuint request, int* arg);
}
