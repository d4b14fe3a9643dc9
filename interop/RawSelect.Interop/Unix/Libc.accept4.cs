using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// accept4 sets O_NONBLOCK and FD_CLOEXEC atomically with the accept: no fcntl round trips,
    /// and no window in which a fork could inherit the descriptor.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int accept4(int sockfd, void* addr, uint* addrlen, int flags);
}
