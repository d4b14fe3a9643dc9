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
/// </summary>
public sealed class SelectSelector : ISelector
{
    private readonly ISelectApi _sys;
    private readonly SelectTrace? _trace;
    private readonly IEventHandler?[] _handlers = new IEventHandler?[FdSet.Size];
    private FdSet _readInterest;
    private FdSet _writeInterest;
    private FdSet _readReady;
    private FdSet _writeReady;
    private int _maxFd = -1;

    public SelectSelector(ISelectApi sys, Log? traceLog = null)
    {
        _sys = sys;
        if (traceLog is { Trace: true }) _trace = new SelectTrace(traceLog);
    }

    public int Capacity => FdSet.Size;

    public int Count { get; private set; }

    public int MaxFd => _maxFd;

    public bool CanRegister(SocketHandle socket) => socket.IsValid && FdSet.Fits(socket.Fd);

    public bool Add(SocketHandle socket, Interest interest, IEventHandler handler)
    {
        if (!CanRegister(socket)) return false;
        int fd = socket.Fd;
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
        if (!FdSet.Fits(fd) || _handlers[fd] is null) throw new InvalidOperationException($"descriptor {fd} is not registered");
        Apply(fd, interest);
    }

    public void Remove(SocketHandle socket)
    {
        int fd = socket.Fd;
        if (!FdSet.Fits(fd) || _handlers[fd] is null) return;
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
        _readReady.CopyFrom(in _readInterest, words);
        _writeReady.CopyFrom(in _writeInterest, words);
        long started = _trace is null ? 0 : Stopwatch.GetTimestamp();

        int n = _sys.Select(nfds, ref _readReady, ref _writeReady, timeoutMicros);

        _trace?.Record(nfds, in _readInterest, in _writeInterest, timeoutMicros, n, in _readReady, in _writeReady, started);
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
                IEventHandler? h = _handlers[fd];
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
