namespace RawSelect.Interop.Unix;

/// <summary>
/// The select(2) call as the selector backend sees it: a seam of its own because fd_set is a
/// per-platform struct (Winsock's is a count and an array of handles). Tests substitute it to
/// return EINTR or ready sets of their choosing (by rewriting the sets they are given).
/// </summary>
public interface ISelectApi
{
    /// <summary>
    /// Waits until a descriptor in the sets is ready or the timeout passes (negative: forever).
    /// The implementation builds a fresh timeval for every call. Returns the number of ready
    /// descriptors, 0 on timeout, or -errno. The first ceil(nfds/64) words of each set are
    /// rewritten with the ready descriptors; each set must have at least that many allocated
    /// (-EINVAL, and no call, otherwise: the kernel would write past them).
    /// </summary>
    int Select(int nfds, LargeFdSet readfds, LargeFdSet writefds, long timeoutMicros);
}
