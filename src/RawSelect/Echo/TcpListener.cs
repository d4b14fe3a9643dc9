using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// A listening socket. Accepts a bounded batch per wake-up (a connection flood must not starve
/// the clients already being served), refuses politely what cannot be served, and keeps a spare
/// descriptor so that running out of descriptors cannot turn the loop into a busy spin.
/// </summary>
public sealed class TcpListener : IEventHandler, ITraceDescribed, ITimer
{
    /// <summary>How long accepting pauses when even the spare descriptor could not be had.</summary>
    public const int PauseMs = 100;

    /// <summary>Accepts per wake-up. Enough to keep up with a burst, few enough to stay fair.</summary>
    public const int AcceptBatch = 64;

    private readonly ServerContext _cx;
    private SocketHandle _spare = SocketHandle.Invalid;
    private long _resumeAt = long.MaxValue;
    private RateLimit _refusalLog;
    private RateLimit _emfileLog;

    public TcpListener(ServerContext context, SocketHandle socket, in NetAddress address)
    {
        _cx = context;
        Socket = socket;
        Address = address;
        if (_cx.Api.OpenSpare(out SocketHandle spare) == 0) _spare = spare;
    }

    public SocketHandle Socket { get; private set; }
    public NetAddress Address { get; }

    string ITraceDescribed.TraceRole => "tcp-listener";

    void ITraceDescribed.AppendTraceAddress(Log log) => log.Append(Address);

    /// <summary>
    /// A passed socket every loop watches (--loops N with socket activation): each wake-up that
    /// finds the connection already taken by another loop is a lost race, counted (the herd).
    /// </summary>
    public bool SharedByLoops { get; init; }

    public void OnReady(bool readable, bool writable)
    {
        for (int i = 0; i < AcceptBatch && Socket.IsValid; i++)
        {
            int r = _cx.Api.Accept(Socket, out SocketHandle conn, out NetAddress peer);
            if (r < 0)
            {
                if (i == 0 && r == -Errno.EAGAIN && SharedByLoops) Herd.Lost(_cx, "tcp-listener", Socket, Address);
                if (!OnAcceptError(-r)) return;
                continue;
            }
            Admit(conn, peer);
        }
    }

    private void Admit(SocketHandle conn, in NetAddress peer)
    {
        Counters c = _cx.Counters;
        if (!_cx.Slots.TryTake())
        {
            c.TcpRefusedMaxClients++;
            Refuse(conn, peer, "max-clients reached");
            return;
        }
        if (!_cx.Selector.CanRegister(conn))
        {
            // The descriptor number itself is at or past the selector's sets (--fd-setsize): it
            // cannot enter them.
            _cx.Slots.Release();
            c.TcpRefusedFdLimit++;
            Refuse(conn, peer, "does not fit the selector (fd-setsize)");
            return;
        }
        TcpConnection tc = _cx.ConnectionPool.Rent(_cx);
        if (!tc.Open(conn, peer))
        {
            _cx.Slots.Release();
            _cx.ConnectionPool.Return(tc);
            c.TcpRefusedFdLimit++;
            Refuse(conn, peer, "selector full (fd-setsize)");
            return;
        }
        c.TcpAccepted++;
        if (_cx.Log.Debug) _cx.Log.Begin("debug").Append("tcp ").Append(peer).Append(" accepted on ").Append(Address).End();
    }

    private void Refuse(SocketHandle conn, in NetAddress peer, string why)
    {
        _cx.Api.Close(conn);
        if (!_cx.Log.Info || !_refusalLog.Allow(_cx.Now, out long held)) return;
        _cx.Log.Begin("info").Append("tcp ").Append(peer).Append(" refused: ").Append(why).AppendHeldBack(held).End();
    }

    /// <summary>Returns true to keep accepting in this wake-up.</summary>
    private bool OnAcceptError(int errno)
    {
        switch (errno)
        {
            case Errno.EAGAIN:
                return false; // drained
            case Errno.EINTR:
                return true;
            case Errno.ECONNABORTED:
            case Errno.EPROTO:
            case Errno.EPERM: // a firewall rule refused it
                // The client gave up between SYN and accept: its problem, not the listener's.
                _cx.Counters.TcpAcceptErrors++;
                return true;
            case Errno.EMFILE:
            case Errno.ENFILE:
                _cx.Counters.TcpAcceptEmfile++;
                ShedWithSpare();
                return false;
            default:
                // ENOBUFS, ENOMEM and the like: out of kernel memory. Try again next wake-up.
                _cx.Counters.TcpAcceptErrors++;
                if (_cx.Log.Error) _cx.Log.Begin("error").Append("accept on ").Append(Address).Append(": ").AppendErrno(errno, _cx.Api).End();
                return false;
        }
    }

    /// <summary>
    /// Out of descriptors, the pending connection stays in the backlog and the listener stays
    /// readable: select would return at once forever. Give back the spare, accept the connection
    /// into it and close it at once (the client sees a clean close instead of a hang), then take
    /// the spare again.
    /// </summary>
    private void ShedWithSpare()
    {
        if (_cx.Log.Error && _emfileLog.Allow(_cx.Now, out long held))
        {
            _cx.Log.Begin("error").Append("accept on ").Append(Address)
                .Append(": out of descriptors, shedding a connection").AppendHeldBack(held).End();
        }
        if (_spare.IsValid)
        {
            _cx.Api.Close(_spare);
            _spare = SocketHandle.Invalid;
        }
        if (_cx.Api.Accept(Socket, out SocketHandle conn, out NetAddress peer) == 0)
        {
            _cx.Api.Close(conn);
            _cx.Counters.TcpRefusedFdLimit++;
        }
        if (_cx.Api.OpenSpare(out SocketHandle spare) == 0) { _spare = spare; return; }

        // No spare either (another process holds the table full): stop watching the listener
        // for a moment rather than spin on a readiness we cannot act on.
        _cx.Selector.Modify(Socket, Interest.None);
        _resumeAt = _cx.Now + PauseMs;
    }

    public long DueAt => _resumeAt;

    public void OnTimer(long now)
    {
        _resumeAt = long.MaxValue;
        if (!Socket.IsValid) return;
        if (!_spare.IsValid && _cx.Api.OpenSpare(out SocketHandle spare) == 0) _spare = spare;
        _cx.Selector.Modify(Socket, Interest.Read);
    }

    public void Close()
    {
        _resumeAt = long.MaxValue;
        if (Socket.IsValid)
        {
            _cx.Selector.Remove(Socket);
            _cx.Api.Close(Socket);
            Socket = SocketHandle.Invalid;
        }
        if (_spare.IsValid)
        {
            _cx.Api.Close(_spare);
            _spare = SocketHandle.Invalid;
        }
    }
}
