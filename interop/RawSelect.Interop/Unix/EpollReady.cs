namespace RawSelect.Interop.Unix;

/// <summary>
/// One ready descriptor from epoll_wait, the same on every architecture: the descriptor (the
/// selector stores it as the event's data) and the EPOLL* bits. The seam hands these out so the
/// selector and its tests never depend on which layout of struct epoll_event the kernel uses.
/// </summary>
public struct EpollReady
{
    public int Fd;
    public uint Events;
}
