using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// select(2). Linux rewrites *timeout with the time left and rewrites the sets with the ready
    /// descriptors, so callers pass fresh copies every call. Never restarted after a signal
    /// handler, even with SA_RESTART: EINTR is the caller's to retry.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int select(int nfds, FdSet* readfds, FdSet* writefds, FdSet* exceptfds, TimeVal* timeout);
}
