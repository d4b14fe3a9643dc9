using System;
using System.Threading;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// How other threads reach a loop: a flag for each request and a wake-up pipe the loop watches
/// (Winsock: a loopback UDP pair). A signal callback runs on the runtime's signal thread, so it
/// only sets a flag and writes one byte.
///
/// The pipe is written by another thread and read by the loop thread, so both ends must mean the
/// same file in both threads' descriptor tables: it is opened before the loop takes a table of
/// its own (<see cref="DescriptorTable"/>), and opening one on a thread that owns a private table
/// is refused.
/// </summary>
public sealed class LoopWake : IDisposable
{
    private readonly ISocketApi _api;
    private int _pending;
    private volatile bool _stopRequested;
    private volatile bool _countersRequested;

    private LoopWake(ISocketApi api, SocketHandle readEnd, SocketHandle writeEnd)
    {
        _api = api;
        ReadEnd = readEnd;
        WriteEnd = writeEnd;
    }

    /// <summary>Opens the pipe. Throws (NativeException) if it cannot be opened.</summary>
    public static LoopWake Open(ISocketApi api)
    {
        DescriptorTable.RequireShared("the wake-up pipe");
        int r = api.OpenWakePair(out SocketHandle readEnd, out SocketHandle writeEnd);
        if (r < 0) throw new NativeException("wake-up pipe", -r, api.ErrorText(-r));
        return new LoopWake(api, readEnd, writeEnd);
    }

    public SocketHandle ReadEnd { get; }
    public SocketHandle WriteEnd { get; }

    public bool StopRequested => _stopRequested;

    /// <summary>Makes the loop return from its wait. Any thread; coalesces while one is pending.</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0) _api.Wake(WriteEnd);
    }

    /// <summary>SIGINT/SIGTERM. Any thread.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        Wake();
    }

    /// <summary>SIGUSR1. Any thread.</summary>
    public void RequestCounters()
    {
        _countersRequested = true;
        Wake();
    }

    /// <summary>Loop thread: whether counters were asked for since the last call.</summary>
    public bool TakeCountersRequest()
    {
        if (!_countersRequested) return false;
        _countersRequested = false;
        return true;
    }

    /// <summary>Loop thread, when the read end is readable.</summary>
    public void Drain()
    {
        // Clear the flag before draining: a Wake racing with us then writes again and is not lost.
        Volatile.Write(ref _pending, 0);
        _api.DrainWake(ReadEnd);
    }

    /// <summary>
    /// Closes both ends in the calling thread's table. After a split that is the loop's copy
    /// only; the process's own copies go when the process exits.
    /// </summary>
    public void Dispose()
    {
        _api.Close(ReadEnd);
        _api.Close(WriteEnd);
    }
}
