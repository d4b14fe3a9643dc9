using System;
using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>poll(2) for the poll selector: pins the caller's pollfd array for the call.</summary>
public sealed unsafe class UnixPollApi : IPollApi
{
    public static readonly UnixPollApi Instance = new();

    public int Poll(PollFd[] fds, int nfds, int timeoutMs)
    {
        if ((uint)nfds > (uint)fds.Length) throw new ArgumentOutOfRangeException(nameof(nfds));
        fixed (PollFd* p = fds)
        {
            int n = Libc.poll(p, (ulong)nfds, timeoutMs);
            return n < 0 ? -Marshal.GetLastPInvokeError() : n;
        }
    }
}
