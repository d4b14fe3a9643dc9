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
    ///
    /// The sets are taken as pointers to 64-bit words because that is the fd_set on x64: word 0
    /// holds fd_count (u_int, then 4 bytes of padding), words 1.. the SOCKETs. Winsock reads
    /// fd_count entries and has no FD_SETSIZE of its own (winsock2.h's is a default a program may
    /// raise), so a longer array (<see cref="LargeFdSet"/>) is a valid fd_set.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int select(int nfds, ulong* readfds, ulong* writefds, ulong* exceptfds, TimeVal* timeout);
}
