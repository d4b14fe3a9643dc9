using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// epoll_ctl(2): EPOLL_CTL_ADD, MOD or DEL one descriptor. One overload per layout of
    /// struct epoll_event (see <see cref="EpollEvent"/>); both are the same C function.
    /// </summary>
    [LibraryImport(Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static unsafe partial int epoll_ctl(int epfd, int op, int fd, EpollEvent.X64* @event);

    [LibraryImport(Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static unsafe partial int epoll_ctl(int epfd, int op, int fd, EpollEvent.Arm64* @event);
}
