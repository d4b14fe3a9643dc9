using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// Binds what the options ask for, runs the loop until a stop is requested, then shuts down in
/// bounded time: stop accepting, flush what is buffered (up to --shutdown-timeout), close all.
/// </summary>
public sealed class Server : ITimer, IDisposable
{
    private readonly Options _options;
    private readonly ISocketApi _api;
    private readonly EventLoop _loop;
    private readonly ServerContext _cx;
    private readonly List<TcpListener> _listeners = new();
    private readonly List<UdpEndpoint> _udp = new();
    /// <summary>Every socket in the order it was taken: passed sockets first, then --tcp, then --udp.</summary>
    private readonly List<(string Proto, NetAddress Address)> _listening = new();
    private long _shutdownDeadline = long.MaxValue;
    private readonly LoopContext? _context;

    /// <summary>A server on the calling thread's table with a wake-up of its own (tests).</summary>
    public Server(Options options, ISocketApi api, ISelector selector, Log log)
        : this(options, api, selector, log, null)
    {
    }

    /// <summary>
    /// The server as the executable runs it: on a loop thread that has split from the process's
    /// descriptor table (or knows why it could not), woken through the pipe opened before that.
    /// </summary>
    public Server(Options options, ISocketApi api, ISelector selector, LoopContext context)
        : this(options, api, selector, context.Log, context)
    {
    }

    private Server(Options options, ISocketApi api, ISelector selector, Log log, LoopContext? context)
    {
        _options = options;
        _api = api;
        _context = context;
        var counters = new Counters();
        _cx = new ServerContext(api, selector, log, counters, options.BufferSize)
        {
            IdleTimeoutMs = options.IdleTimeoutMs,
        };
        _loop = context is null
            ? new EventLoop(api, selector, counters, log, _cx.Clock)
            : new EventLoop(api, selector, counters, log, _cx.Clock, context.Wake);
        _loop.OnWake = OnWake;
        _loop.AddTimer(new IdleTimer(_cx));
        _loop.AddTimer(this);
    }

    /// <summary>RLIMIT_NOFILE as found and as raised at start, for the "serving:" line.</summary>
    public DescriptorLimits.Limits Limits { get; init; }

    public ServerContext Context => _cx;
    public EventLoop Loop => _loop;
    public IReadOnlyList<TcpListener> Listeners => _listeners;
    public IReadOnlyList<UdpEndpoint> UdpEndpoints => _udp;

    /// <summary>
    /// Opens and binds every socket. Returns null on success, or a one-line message naming the
    /// address and the reason.
    /// </summary>
    public string? Bind() => Bind(0);

    /// <summary>
    /// As <see cref="Bind()"/>, after first taking the <paramref name="passed"/> sockets that
    /// socket activation handed over (descriptors 3.., see <see cref="SocketActivation"/>).
    /// </summary>
    public string? Bind(int passed) => Bind(passed, ReusePortPlan.Alone);

    /// <summary>
    /// As <see cref="Bind(int)"/>, as one of several loops (<paramref name="plan"/>): the first
    /// binds each address as a lone server would, proving nobody holds it, and then opens it to
    /// its siblings (SO_REUSEPORT); the others bind the addresses it got (its real ports, for
    /// port 0) with SO_REUSEPORT, and steer the group so only its first members are chosen.
    /// </summary>
    public string? Bind(int passed, ReusePortPlan plan)
    {
        _plan = plan;
        for (int i = 0; i < passed; i++)
        {
            var s = SocketHandle.FromFd(SocketActivation.FirstDescriptor + i);
            string? err = SocketActivation.Adopt(_api, s, out bool stream, out NetAddress bound);
            if (err is not null) return err;
            if (!_cx.Selector.CanRegister(s)) return $"socket activation: descriptor {s} does not fit the selector";
            if (stream) Serve(s, bound, passed: true); else ServeUdp(s, bound, passed: true);
        }
        for (int i = 0; i < _options.Tcp.Count; i++)
        {
            NetAddress a = plan.Joining ? plan.Tcp![i] : _options.Tcp[i];
            string? err = OpenBound(a, stream: true, out SocketHandle s, out NetAddress bound);
            if (err is not null) return err;
            int r = _api.Listen(s, _options.Backlog);
            if (r < 0) { _api.Close(s); return Describe("listen", "tcp", a, -r); }
            if ((err = Steer(s, "tcp", a)) is not null) return err;
            Serve(s, bound, passed: false);
        }
        for (int i = 0; i < _options.Udp.Count; i++)
        {
            NetAddress a = plan.Joining ? plan.Udp![i] : _options.Udp[i];
            string? err = OpenBound(a, stream: false, out SocketHandle s, out NetAddress bound);
            if (err is not null) return err;
            if ((err = Steer(s, "udp", a)) is not null) return err;
            ServeUdp(s, bound, passed: false);
        }
        PerLoopMaxClients = EffectiveMaxClients();
        if (Solo) _cx.MaxClients = PerLoopMaxClients;
        return null;
    }

    private ReusePortPlan _plan = ReusePortPlan.Alone;

    /// <summary>What Bind derived for this loop alone: --max-clients, or what its table and selector hold.</summary>
    public int PerLoopMaxClients { get; private set; }

    /// <summary>The addresses this server's own sockets got (passed ones left out), in option order.</summary>
    public List<NetAddress> BoundTcp { get; } = new();
    public List<NetAddress> BoundUdp { get; } = new();

    /// <summary>
    /// A joining loop points the group at its first members, the server's own (see
    /// ReusePortSteering). A kernel without SO_ATTACH_REUSEPORT_CBPF (before 4.5), or an emulator
    /// that does not pass it on, still serves: the kernel's own hash spreads the work, and only the
    /// guard against a late same-user joiner is lost, which the coordinator says once.
    /// </summary>
    private string? Steer(SocketHandle s, string proto, NetAddress a)
    {
        if (!_plan.Joining) return null;
        int r = _api.SteerReusePortGroup(s, _plan.Loops);
        if (r == 0) return null;
        if (r is -Errno.ENOPROTOOPT or -Errno.EINVAL or -Errno.ENOSYS)
        {
            SteeringUnavailable ??= Errno.Describe(-r, _api.ErrorText(-r));
            return null;
        }
        _api.Close(s);
        return Describe("setsockopt(SO_ATTACH_REUSEPORT_CBPF)", proto, a, -r);
    }

    /// <summary>Why the SO_REUSEPORT group could not be steered (null when it was, or was not asked).</summary>
    public string? SteeringUnavailable { get; private set; }

    private void Serve(SocketHandle s, NetAddress bound, bool passed)
    {
        // A passed listener gets what our own get; its accepted sockets inherit it.
        if (passed) _api.SetOption(s, SocketOption.NoDelay, 1);
        else BoundTcp.Add(bound);
        var l = new TcpListener(_cx, s, bound) { SharedByLoops = passed && _plan.Loops > 1 };
        _listeners.Add(l);
        _listening.Add(("tcp", bound));
        _cx.Selector.Add(s, Interest.Read, l);
        _loop.AddTimer(l);
    }

    private void ServeUdp(SocketHandle s, NetAddress bound, bool passed)
    {
        if (!passed) BoundUdp.Add(bound);
        var u = new UdpEndpoint(_cx, s, bound, _options.AllowServicePorts) { SharedByLoops = passed && _plan.Loops > 1 };
        _udp.Add(u);
        _listening.Add(("udp", bound));
        _cx.Selector.Add(s, Interest.Read, u);
    }

    private string? OpenBound(NetAddress a, bool stream, out SocketHandle s, out NetAddress bound)
    {
        string proto = stream ? "tcp" : "udp";
        bound = default;
        int r = _api.OpenSocket(a.Family, stream, out s);
        if (r < 0) return Describe("socket", proto, a, -r);
        if (!_cx.Selector.CanRegister(s))
        {
            _api.Close(s);
            return $"cannot bind {proto} {a}: descriptor {s} does not fit the selector";
        }
        if (stream)
        {
            _api.SetOption(s, SocketOption.ReuseAddress, 1);
            // Inherited by every accepted socket: echoes leave at once, not after Nagle's wait.
            _api.SetOption(s, SocketOption.NoDelay, 1);
            // Inherited too (Linux copies the listener's socket flags into each accepted socket;
            // Winsock gives an accepted socket the listener's properties): urgent bytes then
            // arrive in the stream, in order, and are echoed like the rest instead of being lost.
            // The OOB integration tests prove the inheritance on the real accepted sockets.
            _api.SetOption(s, SocketOption.OobInline, 1);
        }
        // [::] takes IPv6 only, so 0.0.0.0 on the same port can be a listener of its own.
        if (a.Family == AddressFamilyKind.IPv6) _api.SetOption(s, SocketOption.IPv6Only, 1);
        // Siblings join with SO_REUSEPORT. The first loop binds without it, so the bind fails if
        // anyone holds the port, SO_REUSEPORT group or not (another rawselect, whatever its
        // --loops, is refused as a single loop is), and only then opens it to its siblings:
        // there is no moment when the port is free.
        if (_plan.Joining && (r = _api.SetOption(s, SocketOption.ReusePort, 1)) < 0)
            return Abandon(ref s, "setsockopt(SO_REUSEPORT)", proto, a, -r);
        if ((r = _api.Bind(s, a)) < 0) return Abandon(ref s, "bind", proto, a, -r);
        if (_plan.First && (r = _api.SetOption(s, SocketOption.ReusePort, 1)) < 0)
            return Abandon(ref s, "setsockopt(SO_REUSEPORT)", proto, a, -r);
        r = _api.GetSockName(s, out bound);
        if (r < 0) bound = a;
        return null;
    }

    /// <summary>A socket that could not be set up: closed, forgotten, and the reason.</summary>
    private string Abandon(ref SocketHandle s, string call, string proto, NetAddress a, int errno)
    {
        _api.Close(s);
        s = SocketHandle.Invalid;
        return Describe(call, proto, a, errno);
    }

    private string Describe(string call, string proto, NetAddress a, int errno) =>
        $"cannot bind {proto} {a}: {call}: {Errno.Describe(errno, _api.ErrorText(errno))}";

    /// <summary>
    /// --max-clients, or what the descriptor table and the selector allow, less what the process
    /// holds already (stdin/out/err, the runtime's own, the wake-up pipe, listeners, their spares,
    /// UDP sockets), less a small margin for descriptors the runtime opens later.
    /// </summary>
    private int EffectiveMaxClients()
    {
        const int margin = 2;
        long inUse = _api.DescriptorsInUse();
        int reserved = (int)(inUse >= 0 ? inUse : 3 + 2 + _listeners.Count * 2 + _udp.Count) + margin;
        long fdLimit = _api.DescriptorLimit();
        long byFds = fdLimit < 0 ? long.MaxValue : fdLimit - reserved;
        long bySelector = _cx.Selector.Capacity - reserved;
        long derived = Math.Max(1, Math.Min(byFds, bySelector));
        return _options.MaxClients > 0 ? (int)Math.Min(_options.MaxClients, int.MaxValue) : (int)derived;
    }

    /// <summary>The lines tools wait for: "listening tcp 127.0.0.1:5000", one per socket.</summary>
    public string ListeningLines()
    {
        var sb = new StringBuilder();
        foreach ((string proto, NetAddress a) in _listening) sb.Append("listening ").Append(proto).Append(' ').Append(a.ToString()).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The only loop (--loops 1): it prints the serving line, the counters on SIGUSR1, the
    /// stopping line and the exit counters itself. One of several leaves those to the
    /// coordinator, which sums them.
    /// </summary>
    public bool Solo { get; init; } = true;

    public Counters Counters => _cx.Counters;

    public void Run()
    {
        if (Solo && _cx.Log.Info) WriteServingLine(_cx.Log, _cx.MaxClients, 1, _context is null ? null : _context.PrivateTable);
        while (true)
        {
            _loop.RunOnce();
            if (_cx.ShuttingDown && (_cx.Connections.Count == 0 || _cx.Now >= _shutdownDeadline)) break;
        }
        FinishShutdown();
    }

    /// <summary>
    /// "serving: max-clients=... loops=N fd-table=private backend=select": what the server runs
    /// with. <paramref name="privateTable"/> null: not said (tests, Windows).
    /// </summary>
    public void WriteServingLine(Log log, int maxClients, int loops, bool? privateTable)
    {
        log.Begin("info").Append("serving: max-clients=").Append(maxClients)
            .Append(" fd-setsize=").Append(_cx.Selector.Capacity)
            .Append(" descriptor-limit=").Append(_api.DescriptorLimit())
            .Append(" descriptor-limit-was=").Append(Limits.SoftWas)
            .Append(" descriptor-hard-limit=").Append(Limits.Hard)
            .Append(" buffer-size=").Append(_cx.BufferSize)
            .Append(" idle-timeout-ms=").Append(_cx.IdleTimeoutMs)
            .Append(" loops=").Append(loops);
        // Whether select and poll pay a reference per watched descriptor (see DescriptorTable).
        if (privateTable is bool p && !OperatingSystem.IsWindows())
            log.Append(" fd-table=").Append(p ? "private" : "shared");
        // Last, so the line never reads "select " to a tool looking for select's trace.
        log.Append(" backend=").Append(_cx.Selector.Backend).End();
    }

    /// <summary>A signal: SIGINT/SIGTERM stop, SIGUSR1 prints counters. Any thread.</summary>
    public void RequestStop() => _loop.RequestStop();

    public void RequestCounters() => _loop.WakeSource.RequestCounters();

    private void OnWake()
    {
        if (_loop.WakeSource.TakeCountersRequest() && Solo)
        {
            if (_cx.Log.Info) _cx.Counters.Write(_cx.Log, "counters"); // README: quiet prints nothing
        }
        if (_loop.StopRequested && !_cx.ShuttingDown) BeginShutdown();
    }

    private void BeginShutdown()
    {
        _cx.ShuttingDown = true;
        _shutdownDeadline = _cx.Now + _options.ShutdownTimeoutMs;
        if (Solo && _cx.Log.Info) _cx.Log.Begin("info").Append("stopping: ").Append(_cx.Connections.Count).Append(" connections open").End();
        foreach (TcpListener l in _listeners) l.Close();
        foreach (UdpEndpoint u in _udp) u.Close();
        TcpConnection? c = _cx.Connections.Head;
        while (c is not null)
        {
            TcpConnection? next = c.Next;
            c.BeginShutdown();
            c = next;
        }
    }

    public long DueAt => _shutdownDeadline;

    /// <summary>
    /// How long the exit may wait for the log to drain (Stopwatch ticks): what is left of the
    /// shutdown bound, but at least a moment, so a quick exit still flushes its last lines.
    /// </summary>
    public long LogDrainDeadline
    {
        get
        {
            long leftMs = _shutdownDeadline == long.MaxValue ? 0 : Math.Max(0, _shutdownDeadline - _cx.Now);
            long ms = Math.Max(leftMs, 100);
            return System.Diagnostics.Stopwatch.GetTimestamp() + ms * System.Diagnostics.Stopwatch.Frequency / 1000;
        }
    }

    public void OnTimer(long now) { } // the wake-up is the point: Run checks the deadline

    private void FinishShutdown()
    {
        while (_cx.Connections.Head is TcpConnection c) c.Close(CloseReason.Shutdown, 0);
        if (Solo && _cx.Log.Info) _cx.Counters.Write(_cx.Log, "exit");
    }

    public void Dispose()
    {
        foreach (TcpListener l in _listeners) l.Close();
        foreach (UdpEndpoint u in _udp) u.Close();
        _loop.Dispose();
    }
}
