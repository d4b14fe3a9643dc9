namespace RawSelect.Interop.Unix;

/// <summary>
/// poll(2) as the poll selector backend sees it: a seam of its own, as <see cref="ISelectApi"/>
/// is for select. Tests substitute it to return EINTR, EINVAL or revents of their choosing.
/// </summary>
public interface IPollApi
{
    /// <summary>
    /// Waits until one of the first <paramref name="nfds"/> entries is ready or
    /// <paramref name="timeoutMs"/> milliseconds pass (-1: no limit). Returns how many entries
    /// have revents set, 0 on timeout, or -errno. Only revents is written.
    /// </summary>
    int Poll(PollFd[] fds, int nfds, int timeoutMs);
}
