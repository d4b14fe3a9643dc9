using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int pipe2(int* pipefd, int flags);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int open(byte* pathname, int flags);

    /// <summary>open(2) with a mode for O_CREAT. C's open is variadic; on x86-64 and arm64 Linux
    /// a variadic int is passed as a fixed one, so this is the same call.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int open(byte* pathname, int flags, uint mode);
}
