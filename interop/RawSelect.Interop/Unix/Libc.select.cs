using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// select(2). Linux rewrites *timeout with the time left and rewrites the sets with the ready
    /// descriptors, so callers pass fresh copies every call. Never restarted after a signal
    /// handler, even with SA_RESTART: EINTR is the caller's to retry.
    ///
    /// The sets are taken as <c>unsigned long *</c>, which is what the kernel sees of an fd_set:
    /// it reads and writes ceil(nfds / 64) longs of each (FDS_BYTES in fs/select.c; nfds above the
    /// process's descriptor table is clamped to it) and nothing else, so an array of that many
    /// words is a valid fd_set whatever nfds is. glibc's FD_SETSIZE (1024) binds only its own
    /// struct and macros, neither of which is used here. Null means "no set".
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int select(int nfds, ulong* readfds, ulong* writefds, ulong* exceptfds, TimeVal* timeout);
}
