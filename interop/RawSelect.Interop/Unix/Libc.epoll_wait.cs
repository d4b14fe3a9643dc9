using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// epoll_wait(2): fills up to maxevents entries with ready descriptors, waiting up to timeout
    /// milliseconds (-1: no limit). Level-triggered unless EPOLLET was asked for: a descriptor
    /// still ready is reported again next call. EPOLLERR and EPOLLHUP are reported whether asked
    /// for or not. Never restarted after a signal handler: EINTR is the caller's to retry.
    /// One overload per layout of struct epoll_event (see <see cref="EpollEvent"/>).
    /// </summary>
    [LibraryImport(Name, EntryPoint = "epoll_wait", SetLastError = true)]
    public static unsafe partial int epoll_wait(int epfd, EpollEvent.X64* events, int maxevents, int timeout);

    [LibraryImport(Name, EntryPoint = "epoll_wait", SetLastError = true)]
    public static unsafe partial int epoll_wait(int epfd, EpollEvent.Arm64* events, int maxevents, int timeout);
}
