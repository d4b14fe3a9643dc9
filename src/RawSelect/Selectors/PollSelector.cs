using System;
using System.Diagnostics;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// The poll(2) backend. Keeps its own dense pollfd array, handed to the kernel as is every call
/// (poll writes only revents, so nothing is rebuilt), with the handlers in a parallel array.
/// Each registered descriptor knows its entry's index, so removal is O(1): the last entry moves
/// into the hole. A descriptor with no interest has no entry at all, because the kernel reports
/// POLLHUP and POLLERR whatever events say: select would not report it, and a level-triggered
/// report nobody acts on would spin the loop. Both arrays grow with need (the entries with the
/// descriptors watched, the per-descriptor table with the highest one), never with the limit.
/// </summary>
public sealed class PollSelector : ISelector
{
    private const int InitialEntries = 64;
    private const short In = (short)Libc.POLLIN;
    private const short Out = (short)Libc.POLLOUT;
    private const short Failed = (short)(Libc.POLLERR | Libc.POLLHUP);

    private readonly IPollApi _sys;
    private readonly PollTrace? _trace;
    private readonly int _capacity;
    private PollFd[] _fds = new PollFd[InitialEntries];
    private IEventHandler?[] _entryHandlers = new IEventHandler?[InitialEntries];
    private int _entries;
    private Registration[] _byFd = Array.Empty<Registration>();

    /// <summary>What a registered descriptor has: its handler, and its entry's index + 1 (0: none, no interest).</summary>
    private struct Registration
    {
        public IEventHandler? Handler;
        public int Slot;
    }

    /// <param name="capacity">Descriptors from 0 to capacity - 1 can be registered: poll has no
    /// FD_SETSIZE, so this is the descriptor limit (or what --fd-setsize caps it to).</param>
    public PollSelector(IPollApi sys, int capacity, Log? traceLog = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _sys = sys;
        _capacity = capacity;
        if (traceLog is { Trace: true }) _trace = new PollTrace(traceLog);
    }

    public string Backend => "poll";

    public int Capacity => _capacity;

    public int Count { get; private set; }

    /// <summary>The entries handed to poll: the descriptors with some interest.</summary>
    public int Entries => _entries;

    public int MaxEvents => _fds.Length;

    /// <summary>Slots in the per-descriptor table: it follows the highest registered descriptor, not the capacity.</summary>
    internal int TableSize => _byFd.Length;

    public bool CanRegister(SocketHandle socket) => socket.IsValid && (uint)socket.Fd < (uint)_capacity;

    public bool Add(SocketHandle socket, Interest interest, IEventHandler handler)
    {
        if (!CanRegister(socket)) return false;
        int fd = socket.Fd;
        if (fd >= _byFd.Length) GrowTable(fd);
        ref Registration r = ref _byFd[fd];
        if (r.Handler is not null) throw new InvalidOperationException($"descriptor {fd} is registered already");
        r.Handler = handler;
        r.Slot = 0;
        Count++;
        Apply(fd, ref r, interest);
        return true;
    }

    public void Modify(SocketHandle socket, Interest interest)
    {
        int fd = socket.Fd;
        if ((uint)fd >= (uint)_byFd.Length || _byFd[fd].Handler is null) throw new InvalidOperationException($"descriptor {fd} is not registered");
        Apply(fd, ref _byFd[fd], interest);
    }

    public void Remove(SocketHandle socket)
    {
        int fd = socket.Fd;
        if ((uint)fd >= (uint)_byFd.Length || _byFd[fd].Handler is null) return;
        ref Registration r = ref _byFd[fd];
        if (r.Slot != 0) RemoveEntry(ref r);
        r.Handler = null;
        Count--;
    }

    private void Apply(int fd, ref Registration r, Interest interest)
    {
        short events = (short)(((interest & Interest.Read) != 0 ? In : 0) | ((interest & Interest.Write) != 0 ? Out : 0));
        if (events == 0)
        {
            if (r.Slot != 0) RemoveEntry(ref r);
            return;
        }
        if (r.Slot == 0)
        {
            if (_entries == _fds.Length) GrowEntries();
            int i = _entries++;
            _fds[i] = new PollFd { fd = fd, events = events };
            _entryHandlers[i] = r.Handler;
            r.Slot = i + 1;
            return;
        }
        _fds[r.Slot - 1].events = events;
    }

    /// <summary>Swap-remove: the last entry fills the hole and its descriptor learns its new index.</summary>
    private void RemoveEntry(ref Registration r)
    {
        int i = r.Slot - 1;
        int last = --_entries;
        if (i != last)
        {
            _fds[i] = _fds[last];
            _entryHandlers[i] = _entryHandlers[last];
            _byFd[_fds[i].fd].Slot = i + 1;
        }
        _fds[last] = default;
        _entryHandlers[last] = null;
        r.Slot = 0;
    }

    private void GrowEntries()
    {
        int size = _fds.Length * 2;
        Array.Resize(ref _fds, size);
        Array.Resize(ref _entryHandlers, size);
    }

    private void GrowTable(int fd)
    {
        long size = Math.Max(Math.Max(64, (long)_byFd.Length * 2), fd + 1L);
        Array.Resize(ref _byFd, (int)Math.Min(size, _capacity));
    }

    public int Wait(long timeoutMicros, Span<ReadyEvent> fired)
    {
        int nfds = _entries;
        int timeoutMs = WaitTimeout.Milliseconds(timeoutMicros);
        long started = _trace is null ? 0 : Stopwatch.GetTimestamp();

        int n = _sys.Poll(_fds, nfds, timeoutMs);

        _trace?.Record(_fds, nfds, timeoutMs, n, started);
        if (n <= 0) return n;

        int count = 0;
        int remaining = n; // poll counts entries with any revents set
        for (int i = 0; i < nfds && remaining > 0; i++)
        {
            short rev = _fds[i].revents;
            if (rev == 0) continue;
            remaining--;
            // A registered descriptor that is not open: select fails the whole call with EBADF
            // for it, and so does this backend, rather than skip a report that would recur forever.
            if ((rev & Libc.POLLNVAL) != 0) return -Errno.EBADF;
            short events = _fds[i].events;
            // An error or a hangup reaches the handler as readiness for what it asked, as select
            // reports it, so the handler's recv or send meets the error or the EOF itself.
            bool failed = (rev & Failed) != 0;
            bool readable = (events & In) != 0 && ((rev & In) != 0 || failed);
            bool writable = (events & Out) != 0 && ((rev & Out) != 0 || failed);
            if (!readable && !writable) continue;
            if (count == fired.Length) break; // the loop keeps fired at MaxEvents: not reached
            fired[count++] = new ReadyEvent { Handler = _entryHandlers[i]!, Readable = readable, Writable = writable };
        }
        return count;
    }

    public void Dispose()
    {
        Array.Clear(_entryHandlers);
        Array.Clear(_byFd);
        _entries = 0;
    }
}
