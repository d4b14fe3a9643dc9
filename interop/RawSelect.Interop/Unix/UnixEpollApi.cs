using System;
using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>
/// epoll on Linux. struct epoll_event has two layouts (see <see cref="EpollEvent"/>): this is
/// the only code that knows which one the kernel writes. epoll_wait fills an array of the native
/// layout, kept for the life of the instance (one per selector, one thread), and the ready
/// descriptors are copied out as <see cref="EpollReady"/>: a few bytes per ready descriptor,
/// next to a system call.
/// </summary>
public sealed unsafe class UnixEpollApi : IEpollApi
{
    private EpollEvent.X64[] _x64 = Array.Empty<EpollEvent.X64>();
    private EpollEvent.Arm64[] _arm64 = Array.Empty<EpollEvent.Arm64>();

    private static int Fail() => -Marshal.GetLastPInvokeError();

    public int Create()
    {
        int fd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        return fd < 0 ? Fail() : fd;
    }

    public int Control(int epfd, int op, int fd, uint events)
    {
        int r;
        if (EpollEvent.Packed)
        {
            var e = new EpollEvent.X64 { events = events, data = (ulong)(uint)fd };
            r = Libc.epoll_ctl(epfd, op, fd, &e);
        }
        else
        {
            var e = new EpollEvent.Arm64 { events = events, data = (ulong)(uint)fd };
            r = Libc.epoll_ctl(epfd, op, fd, &e);
        }
        return r < 0 ? Fail() : 0;
    }

    public int Wait(int epfd, EpollReady[] ready, int maxevents, int timeoutMs)
    {
        if (maxevents <= 0 || maxevents > ready.Length) throw new ArgumentOutOfRangeException(nameof(maxevents));
        int n;
        if (EpollEvent.Packed)
        {
            if (_x64.Length < maxevents) _x64 = new EpollEvent.X64[maxevents];
            fixed (EpollEvent.X64* p = _x64)
            {
                n = Libc.epoll_wait(epfd, p, maxevents, timeoutMs);
                if (n < 0) return Fail();
                for (int i = 0; i < n; i++) ready[i] = new EpollReady { Fd = (int)p[i].data, Events = p[i].events };
            }
        }
        else
        {
            if (_arm64.Length < maxevents) _arm64 = new EpollEvent.Arm64[maxevents];
            fixed (EpollEvent.Arm64* p = _arm64)
            {
                n = Libc.epoll_wait(epfd, p, maxevents, timeoutMs);
                if (n < 0) return Fail();
                for (int i = 0; i < n; i++) ready[i] = new EpollReady { Fd = (int)p[i].data, Events = p[i].events };
            }
        }
        return n;
    }

    public int Close(int epfd) => Libc.close(epfd) < 0 ? Fail() : 0;
}
