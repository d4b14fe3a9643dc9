using System.Runtime.InteropServices;

namespace RawSelect.Interop.Windows;

public static partial class Ws2_32
{
    /// <summary>
    /// Winsock select. nfds is ignored ("included only for compatibility with Berkeley sockets");
    /// the sets are counts and arrays of SOCKETs, rewritten in place to hold only the ready ones
    /// (fd_count shrinks). The return value counts a socket once per set it is ready in. A call
    /// with every set empty (or null) fails with WSAEINVAL instead of sleeping as POSIX select
    /// does. The timeout is not written back, but callers still pass a fresh one.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int select(int nfds, FdSet* readfds, FdSet* writefds, FdSet* exceptfds, TimeVal* timeout);
}
