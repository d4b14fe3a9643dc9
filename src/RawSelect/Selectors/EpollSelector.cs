using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// The epoll backend: the kernel keeps the interest list (epoll_ctl when it changes), and
/// epoll_wait returns only the ready descriptors, into a fixed event array; more than fit wait
/// for the next call (the kernel moves a level-triggered descriptor it reported to the back of
/// its ready list, so none starves). Level-triggered, no EPOLLET: a descriptor that is still
/// ready is reported again, exactly as select would, so the handlers need not drain anything.
/// A descriptor with no interest is taken out of the kernel's list (DEL, and ADD when interest
/// returns), because the kernel reports EPOLLHUP and EPOLLERR whatever events say: select would
/// not report it, and a level-triggered report nobody acts on would spin the loop.
/// </summary>
public sealed class EpollSelector : ISelector
{
    /// <summary>Events one epoll_wait can return: 1024 of 12 or 16 bytes, a few pages.</summary>
    public const int DefaultMaxEvents = 1024;

    private const uint In = Libc.EPOLLIN;
    private const uint Out = Libc.EPOLLOUT;
    private const uint Failed = Libc.EPOLLERR | Libc.EPOLLHUP;

    private readonly IEpollApi _sys;
    private readonly EpollTrace? _trace;
    private readonly int _capacity;
    private readonly EpollReady[] _ready;
    private int _epfd;
    private Registration[] _byFd = Array.Empty<Registration>();

    private struct Registration
    {
        public IEventHandler? Handler;
        /// <summary>What the kernel's interest list holds for it; None: not in the list.</summary>
        public Interest Interest;
    }

    /// <param name="capacity">Descriptors from 0 to capacity - 1 can be registered: epoll has no
    /// FD_SETSIZE, so this is the descriptor limit (or what --fd-setsize caps it to).</param>
    public EpollSelector(IEpollApi sys, int capacity, Log? traceLog = null, int maxEvents = DefaultMaxEvents)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEvents);
        _sys = sys;
        _capacity = capacity;
        _ready = new EpollReady[maxEvents];
        if (traceLog is { Trace: true }) _trace = new EpollTrace(traceLog);
        int fd = sys.Create();
        if (fd < 0) throw new NativeException("epoll_create1", -fd, Marshal.GetPInvokeErrorMessage(-fd));
        _epfd = fd;
    }

    public string Backend => "epoll";

    public string WaitCall => "epoll_wait";

    public int Capacity => _capacity;

    public int Count { get; private set; }

    public int MaxEvents => _ready.Length;

    /// <summary>Slots in the per-descriptor table: it follows the highest registered descriptor, not the capacity.</summary>
    internal int TableSize => _byFd.Length;

    /// <summary>The epoll instance's own descriptor.</summary>
    public int EpollFd => _epfd;

    public bool CanRegister(SocketHandle socket) => socket.IsValid && (uint)socket.Fd < (uint)_capacity;

    public bool Add(SocketHandle socket, Interest interest, IEventHandler handler)
    {
        if (!CanRegister(socket)) return false;
        int fd = socket.Fd;
        if (fd >= _byFd.Length) GrowTable(fd);
        ref Registration r = ref _byFd[fd];
        if (r.Handler is not null) throw new InvalidOperationException($"descriptor {fd} is registered already");
        // The kernel may refuse (ENOMEM, ENOSPC past fs.epoll.max_user_watches): that is a
        // refusal at registration, like a descriptor past FD_SETSIZE for select.
        if (interest != Interest.None && Control(Libc.EPOLL_CTL_ADD, fd, interest) < 0) return false;
        r.Handler = handler;
        r.Interest = interest;
        Count++;
        return true;
    }

    public void Modify(SocketHandle socket, Interest interest)
    {
        int fd = socket.Fd;
        if ((uint)fd >= (uint)_byFd.Length || _byFd[fd].Handler is null) throw new InvalidOperationException($"descriptor {fd} is not registered");
        ref Registration r = ref _byFd[fd];
        if (interest == r.Interest) return;
        int op = r.Interest == Interest.None ? Libc.EPOLL_CTL_ADD
            : interest == Interest.None ? Libc.EPOLL_CTL_DEL
            : Libc.EPOLL_CTL_MOD;
        int e = Control(op, fd, interest);
        // The interest list no longer says what the handler wants: carrying on would leave it
        // deaf or spinning. As with a failed select, stop with the reason.
        if (e < 0) throw new NativeException("epoll_ctl", -e, Marshal.GetPInvokeErrorMessage(-e));
        r.Interest = interest;
    }

    public void Remove(SocketHandle socket)
    {
        int fd = socket.Fd;
        if ((uint)fd >= (uint)_byFd.Length || _byFd[fd].Handler is null) return;
        ref Registration r = ref _byFd[fd];
        // Before close, so the kernel's list never names a descriptor number that may be reused.
        // A failure (already closed: EBADF) leaves nothing behind to undo.
        if (r.Interest != Interest.None) Control(Libc.EPOLL_CTL_DEL, fd, Interest.None);
        r.Handler = null;
        r.Interest = Interest.None;
        Count--;
    }

    private int Control(int op, int fd, Interest interest)
    {
        uint events = ((interest & Interest.Read) != 0 ? In : 0) | ((interest & Interest.Write) != 0 ? Out : 0);
        int r = _sys.Control(_epfd, op, fd, events);
        _trace?.Control(op, fd, events, r);
        return r;
    }

    private void GrowTable(int fd)
    {
        long size = Math.Max(Math.Max(64, (long)_byFd.Length * 2), fd + 1L);
        Array.Resize(ref _byFd, (int)Math.Min(size, _capacity));
    }

    public int Wait(long timeoutMicros, Span<ReadyEvent> fired)
    {
        int max = Math.Min(_ready.Length, fired.Length);
        int timeoutMs = WaitTimeout.Milliseconds(timeoutMicros);
        long started = _trace is null ? 0 : Stopwatch.GetTimestamp();

        int n = _sys.Wait(_epfd, _ready, max, timeoutMs);

        _trace?.Wait(max, timeoutMs, n, _ready, started);
        if (n <= 0) return n;

        int count = 0;
        for (int i = 0; i < n; i++)
        {
            int fd = _ready[i].Fd;
            if ((uint)fd >= (uint)_byFd.Length) continue;
            ref Registration r = ref _byFd[fd];
            if (r.Handler is null) continue;
            uint ev = _ready[i].Events;
            // An error or a hangup reaches the handler as readiness for what it asked, as select
            // reports it, so the handler's recv or send meets the error or the EOF itself.
            bool failed = (ev & Failed) != 0;
            bool readable = (r.Interest & Interest.Read) != 0 && ((ev & In) != 0 || failed);
            bool writable = (r.Interest & Interest.Write) != 0 && ((ev & Out) != 0 || failed);
            if (!readable && !writable) continue;
            fired[count++] = new ReadyEvent { Handler = r.Handler, Readable = readable, Writable = writable };
        }
        return count;
    }

    public void Dispose()
    {
        Array.Clear(_byFd);
        if (_epfd >= 0)
        {
            _sys.Close(_epfd);
            _epfd = -1;
        }
    }
}
