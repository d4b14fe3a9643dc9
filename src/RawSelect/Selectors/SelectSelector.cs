using System;
using System.Diagnostics;
using System.Numerics;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect;

/// <summary>
/// The select(2) backend. Keeps the interest sets ("allset" in Stevens) and copies them into the
/// sets it hands the kernel each call, because select overwrites what it is given. nfds is the
/// highest registered descriptor + 1, recomputed when that descriptor leaves. After the call it
/// scans only the words of the returned sets that hold set bits and stops once every ready
/// descriptor the kernel counted has been found.
///
/// The sets are <see cref="LargeFdSet"/>s, not glibc's 1024-bit fd_set: the kernel reads as many
/// bits as nfds says, so the backend's cap is <see cref="Capacity"/> (--fd-setsize, by default the
/// descriptor limit), checked at registration as FD_SETSIZE was. The sets and the handler table
/// grow with the highest descriptor registered, never with the cap, so idle memory does not
/// depend on `ulimit -n`; each call copies only the words below nfds.
/// </summary>
public sealed class SelectSelector : ISelector
{
    private readonly ISelectApi _sys;
    private readonly SelectTrace? _trace;
    private readonly int _capacity;
    private IEventHandler?[] _handlers;
    private readonly LargeFdSet _readInterest;
    private readonly LargeFdSet _writeInterest;
    private readonly LargeFdSet _readReady;
    private readonly LargeFdSet _writeReady;
    private int _maxFd = -1;

    /// <param name="capacity">Descriptors 0 .. capacity-1 may be registered; glibc's FD_SETSIZE by default.</param>
    public SelectSelector(ISelectApi sys, Log? traceLog = null, int capacity = Libc.FD_SETSIZE)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least one descriptor");
        _sys = sys;
        _capacity = capacity;
        _handlers = new IEventHandler?[Math.Min(capacity, Libc.FD_SETSIZE)];
        _readInterest = new LargeFdSet(capacity);
        _writeInterest = new LargeFdSet(capacity);
        _readReady = new LargeFdSet(capacity);
        _writeReady = new LargeFdSet(capacity);
        if (traceLog is { Trace: true }) _trace = new SelectTrace(traceLog);
    }

    public int Capacity => _capacity;

    public int Count { get; private set; }

    public int MaxFd => _maxFd;

    /// <summary>Handler slots allocated now: grows with the highest descriptor, not with the capacity.</summary>
    public int TableSize => _handlers.Length;

    /// <summary>Words allocated in each interest and ready set (for tests of the growth).</summary>
    public int AllocatedWords => Math.Max(Math.Max(_readInterest.AllocatedWords, _writeInterest.AllocatedWords),
        Math.Max(_readReady.AllocatedWords, _writeReady.AllocatedWords));

    public bool CanRegister(SocketHandle socket) => socket.IsValid && (uint)socket.Fd < (uint)_capacity;

    private bool IsRegistered(int fd) => (uint)fd < (uint)_handlers.Length && _handlers[fd] is not null;

    public bool Add(SocketHandle socket, Interest interest, IEventHandler handler)
    {
        if (!CanRegister(socket)) return false;
        int fd = socket.Fd;
        if (fd >= _handlers.Length) GrowTable(fd);
        if (_handlers[fd] is not null) throw new InvalidOperationException($"descriptor {fd} is registered already");
        _handlers[fd] = handler;
        Count++;
        if (fd > _maxFd) _maxFd = fd;
        Apply(fd, interest);
        return true;
    }

    public void Modify(SocketHandle socket, Interest interest)
    {
        int fd = socket.Fd;
        if (!IsRegistered(fd)) throw new InvalidOperationException($"descriptor {fd} is not registered");
        Apply(fd, interest);
    }

    /// <summary>Doubles the handler table (capped at the capacity) until fd fits: registration only, never per event.</summary>
    private void GrowTable(int fd)
    {
        long size = _handlers.Length;
        while (size <= fd) size *= 2;
        Array.Resize(ref _handlers, (int)Math.Min(size, _capacity));
    }

    public void Remove(SocketHandle socket)
    {
        int fd = socket.Fd;
        if (!IsRegistered(fd)) return;
        _handlers[fd] = null;
        _readInterest.Clear(fd);
        _writeInterest.Clear(fd);
        Count--;
        if (fd == _maxFd)
        {
            while (_maxFd >= 0 && _handlers[_maxFd] is null) _maxFd--;
        }
    }

    private void Apply(int fd, Interest interest)
    {
        if ((interest & Interest.Read) != 0) _readInterest.Set(fd); else _readInterest.Clear(fd);
        if ((interest & Interest.Write) != 0) _writeInterest.Set(fd); else _writeInterest.Clear(fd);
    }

    public int Wait(long timeoutMicros, Span<ReadyEvent> fired)
    {
        int nfds = _maxFd + 1;
        int words = (nfds + 63) >> 6;
        _readReady.CopyFrom(_readInterest, words);
        _writeReady.CopyFrom(_writeInterest, words);
        long started = _trace is null ? 0 : Stopwatch.GetTimestamp();

        int n = _sys.Select(nfds, _readReady, _writeReady, timeoutMicros);

        _trace?.Record(nfds, _readInterest, _writeInterest, timeoutMicros, n, _readReady, _writeReady, started);
        if (n <= 0) return n;

        int count = 0;
        int remaining = n; // select counts a descriptor once per set it is ready in
        for (int w = 0; w < words && remaining > 0; w++)
        {
            ulong r = _readReady.Word(w);
            ulong wr = _writeReady.Word(w);
            ulong bits = r | wr;
            while (bits != 0)
            {
                int bit = BitOperations.TrailingZeroCount(bits);
                ulong mask = 1UL << bit;
                bits &= bits - 1;
                int fd = (w << 6) | bit;
                IEventHandler? h = fd < _handlers.Length ? _handlers[fd] : null;
                bool readable = (r & mask) != 0, writable = (wr & mask) != 0;
                remaining -= (readable ? 1 : 0) + (writable ? 1 : 0);
                if (h is null || count >= fired.Length) continue;
                fired[count++] = new ReadyEvent { Handler = h, Readable = readable, Writable = writable };
            }
        }
        return count;
    }

    public void Dispose() => Array.Clear(_handlers);
}
