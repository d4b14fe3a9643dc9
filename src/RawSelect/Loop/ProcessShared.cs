using System;
using System.Runtime.InteropServices;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// Everything the process's threads share, made before any loop takes a descriptor table of its
/// own: the log with its writer threads running (stderr, the trace file), one wake-up pipe per
/// loop, and the signal registrations (which start the runtime's signal thread, and later its
/// dispatch threads, from the shared table). <see cref="Split"/> is the only way to a
/// <see cref="LoopContext"/>, so a loop cannot start before these exist.
/// </summary>
public sealed class ProcessShared : IDisposable
{
    private const int SIGUSR1 = 10; // Linux numbering; raw values are allowed by PosixSignalRegistration

    private readonly ISocketApi _api;
    private readonly LoopWake[] _wakes;
    private readonly bool[] _taken;
    private readonly PosixSignalRegistration? _sigint;
    private readonly PosixSignalRegistration? _sigterm;
    private readonly PosixSignalRegistration? _sigusr1;
    private readonly bool _keepShared;

    private ProcessShared(ISocketApi api, Log log, LoopWake[] wakes, bool signals, bool keepShared)
    {
        _api = api;
        Log = log;
        _wakes = wakes;
        _taken = new bool[wakes.Length];
        _keepShared = keepShared;
        if (!signals) return;
        // .NET installs no SIGTERM handler of its own, and its SIGINT default is to exit at once.
        // Both become a request to every loop; the callbacks run on the runtime's signal thread,
        // so they only set a flag and write to the wake-up pipes.
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        if (!OperatingSystem.IsWindows())
            _sigusr1 = PosixSignalRegistration.Create((PosixSignal)SIGUSR1, ctx => { ctx.Cancel = true; RequestCounters(); });
    }

    /// <summary>
    /// Starts the log's writers, opens a wake-up pipe per loop and registers SIGINT, SIGTERM
    /// (and SIGUSR1 on Unix) unless <paramref name="signals"/> is false (tests). Must run on a
    /// thread that still shares the process's table.
    /// </summary>
    public static ProcessShared Open(ISocketApi api, Log log, int loops, bool signals = true)
    {
        DescriptorTable.RequireShared("the process's shared descriptors");
        log.StartWriters();
        var wakes = new LoopWake[loops];
        for (int i = 0; i < loops; i++) wakes[i] = LoopWake.Open(api);
        bool keepShared = OperatingSystem.IsWindows()
            || string.Equals(Environment.GetEnvironmentVariable(DescriptorTable.Variable), "shared", StringComparison.Ordinal);
        return new ProcessShared(api, log, wakes, signals, keepShared);
    }

    public Log Log { get; }

    public int Loops => _wakes.Length;

    public LoopWake Wake(int loop) => _wakes[loop];

    /// <summary>
    /// On the thread that will run loop <paramref name="loop"/>, before it opens anything of its
    /// own: takes that thread a descriptor table of its own (Linux), or says why it keeps the
    /// shared one. Once per loop.
    /// </summary>
    public LoopContext Split(int loop)
    {
        if (_taken[loop]) throw new InvalidOperationException($"loop {loop} has split already");
        _taken[loop] = true;
        if (_keepShared)
        {
            string? why = OperatingSystem.IsWindows() ? null : $"{DescriptorTable.Variable}=shared";
            return new LoopContext(loop, _wakes[loop], Log, privateTable: false, why);
        }
        int r = DescriptorTable.Split(_api);
        if (r == 0) return new LoopContext(loop, _wakes[loop], Log, privateTable: true, null);
        string reason = $"unshare(CLONE_FILES): {Errno.Describe(-r, _api.ErrorText(-r))}";
        return new LoopContext(loop, _wakes[loop], Log, privateTable: false, reason);
    }

    /// <summary>SIGINT/SIGTERM: every loop stops accepting and flushes. Any thread.</summary>
    public void RequestStop()
    {
        foreach (LoopWake w in _wakes) w.RequestStop();
    }

    /// <summary>SIGUSR1: every loop writes its counters. Any thread.</summary>
    public void RequestCounters()
    {
        foreach (LoopWake w in _wakes) w.RequestCounters();
    }

    private void Stop(PosixSignalContext ctx)
    {
        ctx.Cancel = true;
        RequestStop();
    }

    public void Dispose()
    {
        _sigint?.Dispose();
        _sigterm?.Dispose();
        _sigusr1?.Dispose();
        foreach (LoopWake w in _wakes) w.Dispose();
    }
}
