using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// poll(2): waits until one of nfds entries is ready or timeout milliseconds pass (-1: no
    /// limit). Writes only revents; fd and events are left as given. POLLHUP, POLLERR and
    /// POLLNVAL are reported whether asked for or not. Never restarted after a signal handler:
    /// EINTR is the caller's to retry. nfds above RLIMIT_NOFILE fails with EINVAL.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int poll(PollFd* fds, ulong nfds, int timeout);
}
