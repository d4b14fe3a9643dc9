using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// fstat(2). Before glibc 2.33 libc.so exported no "fstat" (only __fxstat); the symbol then
    /// came from libc_nonshared.a, which the libc.so linker script pulls in, so the direct call
    /// links against old and new glibc alike.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int fstat(int fd, Stat* statbuf);
}
