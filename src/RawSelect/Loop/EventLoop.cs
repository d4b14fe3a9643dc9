using System;
using System.Collections.Generic;
using System.Diagnostics;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// The loop: wait for the nearest deadline or a ready socket, dispatch, run due timers, repeat.
/// It neither knows it is echoing (the handlers do) nor that it is select (the selector does).
/// One thread runs it; <see cref="Wake"/> is the only member safe to call from another.
/// </summary>
public sealed class EventLoop : IEventHandler, ITraceDescribed, IDisposable
{
    private readonly ISocketApi _api;
    private readonly ISelector _selector;
    private readonly Counters _counters;
    private readonly Log _log;
    private readonly bool _tracing;
    private readonly LoopClock _clock;
    private ReadyEvent[] _fired;
    private readonly List<ITimer> _timers = new();
    private readonly LoopWake _wake;
    private readonly bool _ownsWake;
    private bool _running = true;

    /// <summary>Called on the loop thread after a wake-up, with whether a stop was requested.</summary>
    public Action? OnWake { get; set; }

    /// <summary>A loop with a wake-up pipe of its own (tests, and any loop no other thread needs to reach).</summary>
    public EventLoop(ISocketApi api, ISelector selector, Counters counters, Log log, LoopClock? clock = null)
        : this(api, selector, counters, log, clock, LoopWake.Open(api), ownsWake: true)
    {
    }

    /// <summary>A loop woken through <paramref name="wake"/>, opened before the loop thread took its own
    /// descriptor table (see <see cref="ProcessShared"/>); its owner closes it.</summary>
    public EventLoop(ISocketApi api, ISelector selector, Counters counters, Log log, LoopClock? clock, LoopWake wake)
        : this(api, selector, counters, log, clock, wake, ownsWake: false)
    {
    }

    private EventLoop(ISocketApi api, ISelector selector, Counters counters, Log log, LoopClock? clock, LoopWake wake, bool ownsWake)
    {
        _clock = clock ?? new LoopClock();
        _api = api;
        _selector = selector;
        _counters = counters;
        _log = log;
        _tracing = log.Trace;
        // Not the capacity (about a million for poll and epoll with a high descriptor limit): no
        // wait reports more than what is registered, nor more than the selector's MaxEvents.
        _fired = new ReadyEvent[Math.Min(selector.MaxEvents, 64)];
        _wake = wake;
        _ownsWake = ownsWake;
        if (!selector.Add(_wake.ReadEnd, Interest.Read, this))
            throw new NativeException("wake-up pipe", Errno.EMFILE, "descriptor does not fit the selector");
    }

    public ISelector Selector => _selector;

    /// <summary>Slots in the fired list now (for tests: it follows the registrations, not the capacity).</summary>
    public int FiredCapacity => _fired.Length;

    /// <summary>The time read after the last wait: what handlers and timers see.</summary>
    public LoopClock Clock => _clock;

    public bool StopRequested => _wake.StopRequested;

    public LoopWake WakeSource => _wake;

    public void AddTimer(ITimer timer) => _timers.Add(timer);

    /// <summary>Asks the loop to stop. Any thread (signal handlers run on their own).</summary>
    public void RequestStop() => _wake.RequestStop();

    /// <summary>Makes the loop return from its wait. Any thread; coalesces while one is pending.</summary>
    public void Wake() => _wake.Wake();

    /// <summary>Ends <see cref="Run"/> after the current iteration. Loop thread only.</summary>
    public void Exit() => _running = false;

    public void Run()
    {
        while (_running) RunOnce();
    }

    public void RunOnce()
    {
        long now = _clock.Update();
        long due = long.MaxValue;
        foreach (ITimer t in _timers) due = Math.Min(due, t.DueAt);
        long timeoutMicros = due == long.MaxValue ? -1 : Math.Max(0, due - now) * 1000;

        // Grows (doubling) only when registrations outgrow it, never per event.
        int fits = Math.Min(_selector.Count, _selector.MaxEvents);
        if (_fired.Length < fits) _fired = new ReadyEvent[Math.Min(Math.Max(fits, _fired.Length * 2), _selector.MaxEvents)];
        int n = _selector.Wait(timeoutMicros, _fired);
        long waitEnded = _tracing ? Stopwatch.GetTimestamp() : 0;
        // Read the clock after the wait, not before: a connection accepted after hours of idle
        // must not be stamped with the time the wait began (it would look idle for hours).
        now = _clock.Update();
        _counters.SelectCalls++;
        if (n < 0)
        {
            int errno = -n;
            if (errno == Errno.EINTR) { _counters.SelectEintr++; return; }
            // Anything else (EBADF, EINVAL, ENOMEM) means the sets no longer describe reality:
            // carrying on would spin. Let the server report it and stop.
            throw new NativeException(_selector.WaitCall, errno, _api.ErrorText(errno));
        }

        Dispatch(n, due, now);
        // Wait and work told apart: the trace's select/poll/epoll line says how long it waited.
        if (_tracing)
        {
            _log.Begin("trace").Append("handlers ready=").Append(n).Append(" took=")
                .AppendMs(Stopwatch.GetElapsedTime(waitEnded).TotalMilliseconds).End();
        }
    }

    private void Dispatch(int n, long due, long now)
    {
        for (int i = 0; i < n; i++)
        {
            // Entries are not cleared after use: that would cost a GC write barrier per event, and
            // a stale entry pins nothing the connection pool does not keep anyway.
            ref ReadyEvent e = ref _fired[i];
            e.Handler.OnReady(e.Readable, e.Writable);
        }

        // Deadlines only move later while handlers run (activity postpones idle expiry; a pause
        // starts from now), so if the nearest was not due, none is.
        if (due != long.MaxValue)
        {
            if (now < due) return;
            for (int i = 0; i < _timers.Count; i++)
            {
                if (_timers[i].DueAt <= now) _timers[i].OnTimer(now);
            }
        }
    }

    string ITraceDescribed.TraceRole => "wake-pipe";

    void ITraceDescribed.AppendTraceAddress(Log log) => log.Append('-');

    /// <summary>The wake-up pipe became readable.</summary>
    void IEventHandler.OnReady(bool readable, bool writable)
    {
        _wake.Drain();
        _counters.Wakeups++;
        OnWake?.Invoke();
    }

    public void Dispose()
    {
        _selector.Remove(_wake.ReadEnd);
        if (_ownsWake) _wake.Dispose();
    }
}
