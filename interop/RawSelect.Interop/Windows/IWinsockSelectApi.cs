namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock select as the Winsock selector backend sees it: a seam of its own, as
/// <see cref="Unix.ISelectApi"/> is for select(2), because the sets are Winsock's own struct.
/// Tests substitute it to return WSAEINTR (as EINTR) or ready sets of their choosing.
/// </summary>
public interface IWinsockSelectApi
{
    /// <summary>
    /// Waits until a socket in the sets is ready or the timeout passes (negative: forever).
    /// There is no nfds: Winsock ignores it. At least one set must hold a socket (Winsock fails
    /// a call with every set empty). The implementation builds a fresh timeval every call.
    /// Returns the number of ready sockets (once per set), 0 on timeout, or -errno with the
    /// WSAE* code mapped to its POSIX name. The sets are rewritten in place to hold the ready sockets.
    /// </summary>
    int Select(LargeFdSet readfds, LargeFdSet writefds, long timeoutMicros);

    /// <summary>
    /// Sleeps for timeoutMicros (never negative: the selector bounds an endless wait), standing
    /// in for a select with nothing to watch, which POSIX allows and Winsock rejects.
    /// </summary>
    void Sleep(long timeoutMicros);
}
