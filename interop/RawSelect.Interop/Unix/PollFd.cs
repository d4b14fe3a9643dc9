namespace RawSelect.Interop.Unix;

/// <summary>
/// struct pollfd (poll.h): { int fd; short events; short revents; }, 8 bytes on every Linux ABI.
/// The kernel reads fd and events and writes only revents, so an array of these can be handed
/// to poll(2) call after call without being rebuilt. A negative fd is skipped by the kernel.
/// </summary>
public struct PollFd
{
    public int fd;
    public short events;
    public short revents;
}
