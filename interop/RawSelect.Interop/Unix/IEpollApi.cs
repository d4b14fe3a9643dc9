namespace RawSelect.Interop.Unix;

/// <summary>
/// epoll as the epoll selector backend sees it: a seam of its own, as <see cref="ISelectApi"/>
/// is for select. Tests substitute it to return EINTR, ENOSPC or events of their choosing.
/// Every member returns 0 (or a count, or a descriptor) on success and -errno on failure.
/// </summary>
public interface IEpollApi
{
    /// <summary>epoll_create1(EPOLL_CLOEXEC): the epoll descriptor, or -errno.</summary>
    int Create();

    /// <summary>
    /// epoll_ctl(epfd, op, fd, {events, data = fd}). For EPOLL_CTL_DEL events is ignored.
    /// </summary>
    int Control(int epfd, int op, int fd, uint events);

    /// <summary>
    /// epoll_wait for up to <paramref name="maxevents"/> (at most ready.Length) descriptors,
    /// waiting up to <paramref name="timeoutMs"/> milliseconds (-1: no limit). Fills
    /// ready[0..n) and returns n, 0 on timeout, or -errno.
    /// </summary>
    int Wait(int epfd, EpollReady[] ready, int maxevents, int timeoutMs);

    int Close(int epfd);
}
