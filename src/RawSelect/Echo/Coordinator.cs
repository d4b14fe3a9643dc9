using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// --loops N (N > 1, Linux): N whole servers, each on a thread of its own with its own
/// descriptor table, selector, listeners (SO_REUSEPORT), connections, timers and counters,
/// knowing nothing of each other. This coordinator, on the main thread, only starts them, binds
/// them in order (the first proves each address free and learns the real ports), drops
/// privileges once all are bound, prints the listening lines once, sums the counters on SIGUSR1
/// and at exit, and stops them all within the one shutdown bound. The one thing the loops share
/// on their own is the --max-clients count (an atomic, touched on accept and close only).
/// </summary>
public sealed class Coordinator
{
    private readonly Options _options;
    private readonly ISocketApi _api;
    private readonly ProcessShared _shared;
    private readonly int _capacity;
    private readonly DescriptorLimits.Limits _limits;
    private readonly int _passed;
    private readonly ClientSlots _slots = new();
    private readonly LoopThread[] _loops;
    private readonly AutoResetEvent _attention = new(false);

    public Coordinator(Options options, ISocketApi api, ProcessShared shared, int capacity, DescriptorLimits.Limits limits, int passed)
    {
        _options = options;
        _api = api;
        _shared = shared;
        _capacity = capacity;
        _limits = limits;
        _passed = passed;
        _loops = new LoopThread[shared.Loops];
        for (int i = 0; i < _loops.Length; i++) _loops[i] = new LoopThread(i);
        shared.OnSignal = () => _attention.Set();
    }

    /// <summary>What went wrong, in the words Program prints; null while all is well.</summary>
    public string? Failure { get; private set; }

    /// <summary>Binds every loop (the first, then the others on the ports it got). Returns null,
    /// or the first loop's bind error (exit 1). A fatal error sets <see cref="Failure"/>.</summary>
    public string? Bind()
    {
        Start(0, ReusePortPlan.FirstOf(_loops.Length));
        if (AwaitBound(0) is string first) return first;
        Server lead = _loops[0].Server!;
        for (int i = 1; i < _loops.Length; i++) Start(i, ReusePortPlan.Join(_loops.Length, lead.BoundTcp, lead.BoundUdp));
        for (int i = 1; i < _loops.Length; i++)
            if (AwaitBound(i) is string err) return err;
        long sum = 0;
        foreach (LoopThread t in _loops) sum += t.Server!.PerLoopMaxClients;
        _slots.Max = _options.MaxClients > 0 ? _options.MaxClients : (int)Math.Min(sum, int.MaxValue);
        return null;
    }

    /// <summary>The listening lines: the first loop's, one per address (its siblings serve the same).</summary>
    public string ListeningLines() => _loops[0].Server!.ListeningLines();

    /// <summary>Lets the loops serve, then waits: SIGUSR1 sums counters, SIGINT/SIGTERM or a loop's
    /// fatal error stops them all. Returns the exit code (0, or 70 with <see cref="Failure"/> set).</summary>
    public int Serve(out long drainDeadline)
    {
        Log log = _shared.Log;
        bool allPrivate = Array.TrueForAll(_loops, t => t.Context!.PrivateTable);
        _loops[0].Context!.ReportShared(log); // the same reason for every loop: say it once
        if (Array.Find(_loops, t => t.Server!.SteeringUnavailable is not null) is LoopThread unsteered && log.Info)
        {
            log.Begin("info").Append("loops: SO_ATTACH_REUSEPORT_CBPF unavailable (").Append(unsteered.Server!.SteeringUnavailable!)
                .Append("): the kernel's hash spreads the work, and a same-user SO_REUSEPORT socket bound later could take a share").End();
        }
        if (log.Info) _loops[0].Server!.WriteServingLine(log, _slots.Max, _loops.Length, allPrivate);
        foreach (LoopThread t in _loops) t.Go.Set();

        long stopAt = long.MaxValue;
        bool stopping = false;
        while (true)
        {
            int wait = stopAt == long.MaxValue ? Timeout.Infinite
                : (int)Math.Clamp((stopAt - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency, 0, int.MaxValue);
            _attention.WaitOne(wait);
            if (_shared.TakeCountersRequest() && log.Info) WriteCounters(log, "counters");
            LoopThread? dead = Array.Find(_loops, t => t.Fatal is not null);
            if (dead is not null && Failure is null)
            {
                Failure = $"loop {dead.Index}: {Describe(dead.Fatal!)}";
                _shared.RequestStop();
            }
            if (_shared.StopRequested && !stopping)
            {
                stopping = true;
                // Every loop got the request itself (its wake-up pipe); this is the one bound
                // they all finish within, and a margin for the last of them to close everything.
                stopAt = Stopwatch.GetTimestamp() + (_options.ShutdownTimeoutMs + 2000) * Stopwatch.Frequency / 1000;
                if (log.Info) log.Begin("info").Append("stopping: ").Append(OpenConnections()).Append(" connections open in ").Append(_loops.Length).Append(" loops").End();
            }
            if (Array.TrueForAll(_loops, t => t.Done)) break;
            if (!stopping && Array.Exists(_loops, t => t.Done))
            {
                // A loop ended without being asked: never serve half-dead.
                LoopThread gone = Array.Find(_loops, t => t.Done)!;
                Failure ??= $"loop {gone.Index} stopped unexpectedly";
                _shared.RequestStop();
                continue;
            }
            if (stopping && Stopwatch.GetTimestamp() >= stopAt)
            {
                Failure ??= "a loop did not stop within the shutdown bound";
                break;
            }
        }
        if (log.Info) WriteCounters(log, "exit");
        drainDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
        return Failure is null ? Program.ExitOk : Program.ExitInternal;
    }

    /// <summary>Ends loops that bound but will not serve (a bind error elsewhere, the privilege drop failed).</summary>
    public void Abort()
    {
        foreach (LoopThread t in _loops)
        {
            t.Abort = true;
            t.Go.Set();
        }
        foreach (LoopThread t in _loops) t.Thread?.Join(5000);
    }

    private long OpenConnections()
    {
        long n = 0;
        foreach (LoopThread t in _loops) if (t.Server is Server s) n += Volatile.Read(ref s.Counters.TcpOpen);
        return n;
    }

    private void WriteCounters(Log log, string label)
    {
        var total = new Counters();
        foreach (LoopThread t in _loops) if (t.Server is Server s) total.Add(s.Counters);
        total.Write(log, label);
        foreach (LoopThread t in _loops) t.Server?.Counters.WriteShare(log, label, t.Index);
    }

    private void Start(int index, ReusePortPlan plan)
    {
        LoopThread t = _loops[index];
        t.Plan = plan;
        // Started from this thread, which shares the process's table: each loop then takes its own.
        t.Thread = new Thread(() => Body(t)) { IsBackground = true, Name = $"loop {index}" };
        t.Thread.Start();
    }

    private string? AwaitBound(int index)
    {
        LoopThread t = _loops[index];
        t.Bound.Wait();
        if (t.Fatal is not null)
        {
            Failure = $"loop {index}: {Describe(t.Fatal)}";
            return Failure;
        }
        return t.BindError;
    }

    private void Body(LoopThread t)
    {
        ISelector? selector = null;
        Server? server = null;
        try
        {
            LoopContext context = _shared.Split(t.Index);
            t.Context = context;
            selector = Platform.CreateSelector(_api, _capacity, context.Log, _options.Backend);
            if (context.Log.Trace) selector = new TracingSelector(selector, context.Log);
            server = new Server(_options, _api, selector, context) { Limits = _limits, Solo = false };
            server.Context.Slots = _slots;
            t.Server = server;
            t.BindError = server.Bind(_passed, t.Plan!);
            t.Bound.Set();
            t.Go.Wait();
            if (t.BindError is null && !t.Abort) server.Run();
        }
        catch (Exception e)
        {
            t.Fatal = e;
        }
        finally
        {
            t.Bound.Set();
            // On this thread: the sockets are in this loop's table.
            try { server?.Dispose(); selector?.Dispose(); }
            catch (Exception e) { t.Fatal ??= e; }
            t.Done = true;
            _attention.Set();
        }
    }

    private static string Describe(Exception e) =>
        e is NativeException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    private sealed class LoopThread
    {
        public LoopThread(int index) => Index = index;

        public readonly int Index;
        public readonly ManualResetEventSlim Bound = new(false);
        public readonly ManualResetEventSlim Go = new(false);
        public Thread? Thread;
        public ReusePortPlan? Plan;
        public LoopContext? Context;
        public Server? Server;
        public string? BindError;
        public volatile Exception? Fatal;
        public volatile bool Abort;
        public volatile bool Done;
    }
}
