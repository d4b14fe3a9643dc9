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
}
