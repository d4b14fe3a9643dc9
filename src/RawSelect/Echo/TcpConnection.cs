using System;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// One echo connection: recv, send at once, keep only what the kernel would not take.
///
/// Readable: recv into the shared scratch buffer (or, if echo is already pending, behind it in
/// this connection's own buffer) and send straight back. Whatever the kernel does not take is
/// buffered and the socket joins the write set; while the buffer is full it leaves the read set,
/// so memory stays bounded and TCP flow control slows the sender. At EOF (the peer half-closed)
/// the rest is flushed, then the socket is shut down and closed. The buffer is rented only while
/// echo is pending and returned the moment it drains.
///
/// Server shutdown closes gracefully ("lingering close", as Apache does): close(2) on a socket
/// with unread input makes the kernel send a reset and throw away whatever echo is still in its
/// send queue, so a client that is still sending would lose echo the server already counted as
/// sent. So once the echo owed is flushed, the connection sends its FIN (shutdown SHUT_WR) and
/// reads and discards until the client closes its side, or the shutdown bound ends it.
/// </summary>
public sealed class TcpConnection : IEventHandler, ITraceDescribed
{
    private readonly ServerContext _cx;
    private SocketHandle _socket;
    private NetAddress _peer;
    private byte[]? _pending;
    private int _start;
    private int _end;
    private bool _peerClosed;
    private bool _lingering;
    private bool _open;
    private Interest _interest;

    internal TcpConnection? Prev;
    internal TcpConnection? Next;

    public TcpConnection(ServerContext context) => _cx = context;

    public SocketHandle Socket => _socket;
    public NetAddress Peer => _peer;
    public long LastActivity { get; private set; }
    public bool IsOpen => _open;
    public int PendingBytes => _pending is null ? 0 : _end - _start;
    public Interest Interest => _interest;

    /// <summary>Takes an accepted socket; false if the selector cannot hold it (it is then closed by the caller).</summary>
    public bool Open(SocketHandle socket, in NetAddress peer)
    {
        _socket = socket;
        _peer = peer;
        _pending = null;
        _start = _end = 0;
        _peerClosed = false;
        _lingering = false;
        _interest = Interest.Read;
        if (!_cx.Selector.Add(socket, Interest.Read, this)) return false;
        _open = true;
        LastActivity = _cx.Now;
        _cx.Connections.AddLast(this);
        _cx.Counters.TcpOpen++;
        return true;
    }

    string ITraceDescribed.TraceRole => "tcp-connection";

    void ITraceDescribed.AppendTraceAddress(Log log) => log.Append(_peer);

    public void OnReady(bool readable, bool writable)
    {
        if (!_open) return;
        if (_lingering)
        {
            if (readable) Discard();
            return;
        }
        if (writable && _pending is not null)
        {
            Flush();
            if (!_open) return;
        }
        if (readable && (_interest & Interest.Read) != 0) Receive();
    }

    private void Receive()
    {
        byte[] buffer;
        int offset, space;
        if (_pending is null)
        {
            buffer = _cx.Scratch;
            offset = 0;
            space = buffer.Length;
        }
        else
        {
            // Echo is already waiting: new bytes queue behind it, in order.
            if (_start > 0)
            {
                Buffer.BlockCopy(_pending, _start, _pending, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            buffer = _pending;
            offset = _end;
            space = _cx.BufferSize - _end;
            if (space == 0) { SetInterest(Interest.Write); return; }
        }

        nint n = _cx.Api.Recv(_socket, buffer, offset, space);
        if (n > 0)
        {
            Touch();
            _cx.Counters.TcpBytesIn += n;
            if (_pending is null) EchoFromScratch((int)n);
            else { _end += (int)n; Flush(); }
        }
        else if (n == 0)
        {
            OnPeerClosed();
        }
        else
        {
            int errno = (int)-n;
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) return; // spurious readiness: wait for the next
            Close(IsReset(errno) ? CloseReason.Reset : CloseReason.Error, errno);
        }
    }

    private void EchoFromScratch(int count)
    {
        int sent = SendSome(_cx.Scratch, 0, count);
        if (sent < 0) return; // closed
        if (sent == count) return; // the usual case: the whole echo left in this wake-up

        _pending = _cx.Pool.Rent(_cx.BufferSize);
        _start = 0;
        _end = count - sent;
        Buffer.BlockCopy(_cx.Scratch, sent, _pending, 0, _end);
        UpdateInterest();
    }

    /// <summary>One send of what is pending; drained, the buffer goes back to the pool.</summary>
    private void Flush()
    {
        int sent = SendSome(_pending!, _start, _end - _start);
        if (sent < 0) return;
        _start += sent;
        if (_start == _end)
        {
            _cx.Pool.Return(_pending!);
            _pending = null;
            _start = _end = 0;
            if (_peerClosed || _cx.ShuttingDown) { Finish(); return; }
        }
        UpdateInterest();
    }

    /// <summary>Bytes the kernel took (0 if it would block), or -1 once the connection is closed.</summary>
    private int SendSome(byte[] buffer, int offset, int count)
    {
        nint n = _cx.Api.Send(_socket, buffer, offset, count);
        if (n >= 0)
        {
            if (n > 0) { _cx.Counters.TcpBytesOut += n; Touch(); }
            return (int)n;
        }
        int errno = (int)-n;
        if (errno == Errno.EAGAIN || errno == Errno.EINTR || errno == Errno.ENOBUFS) return 0;
        Close(IsReset(errno) ? CloseReason.Reset : CloseReason.Error, errno);
        return -1;
    }

    private void OnPeerClosed()
    {
        _peerClosed = true;
        if (_pending is null) Finish();
        else UpdateInterest(); // stop reading; the write set brings the rest out
    }

    /// <summary>
    /// Everything echoed: send our FIN after the data, then close; during server shutdown, with
    /// the client's side still open, linger until it closes (see the class comment).
    /// </summary>
    private void Finish()
    {
        _cx.Api.Shutdown(_socket, ShutdownHow.Write);
        if (!_cx.ShuttingDown || _peerClosed) { Close(CloseReason.Eof, 0); return; }
        _lingering = true;
        SetInterest(Interest.Read);
        Discard();
    }

    /// <summary>
    /// Lingering: read and drop what the client still sends (bounded per wake-up, like the UDP
    /// drain), close at its EOF. Nothing read now can be echoed: our FIN has gone.
    /// </summary>
    private void Discard()
    {
        for (int i = 0; i < 16; i++)
        {
            nint n = _cx.Api.Recv(_socket, _cx.Scratch, 0, _cx.Scratch.Length);
            if (n > 0) { _cx.Counters.TcpBytesIn += n; continue; }
            if (n == 0) { Close(CloseReason.Shutdown, 0); return; }
            int errno = (int)-n;
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) return;
            Close(IsReset(errno) ? CloseReason.Reset : CloseReason.Shutdown, 0);
            return;
        }
    }

    /// <summary>Reading stops while the buffer is full, after EOF and during shutdown; writing is wanted while echo is pending.</summary>
    private void UpdateInterest()
    {
        Interest want = Interest.None;
        bool full = _pending is not null && _end - _start >= _cx.BufferSize;
        if (!_peerClosed && !_cx.ShuttingDown && !full) want |= Interest.Read;
        if (_pending is not null) want |= Interest.Write;
        SetInterest(want);
    }

    private void SetInterest(Interest want)
    {
        if (want == _interest) return;
        _interest = want;
        _cx.Selector.Modify(_socket, want);
    }

    private void Touch()
    {
        LastActivity = _cx.Now;
        if (_cx.IdleTimeoutMs > 0) _cx.Connections.MoveToLast(this);
    }

    /// <summary>
    /// Server shutdown: stop echoing. Nothing pending, nothing unread and nothing left in the
    /// kernel's send queue (the usual idle connection): close now, a plain FIN. Otherwise close
    /// gracefully (Finish): unread input would draw a reset, and echo still queued in the kernel
    /// is lost if the process's network goes away when it exits (a container's namespace), so
    /// the connection lingers until the client has it all and closes. Echo pending in our own
    /// buffer: flush it first, then the same.
    /// </summary>
    public void BeginShutdown()
    {
        if (!_open) return;
        if (_pending is not null) { UpdateInterest(); return; }
        if (_peerClosed) { Close(CloseReason.Shutdown, 0); return; }
        nint n = _cx.Api.Recv(_socket, _cx.Scratch, 0, _cx.Scratch.Length);
        if (n == -Errno.EAGAIN && _cx.Api.UnsentBytes(_socket) <= 0) { Close(CloseReason.Shutdown, 0); return; }
        if (n > 0) _cx.Counters.TcpBytesIn += n;
        else if (n == 0) _peerClosed = true;
        Finish();
    }

    public void Close(CloseReason reason, int errno)
    {
        if (!_open) return;
        _open = false;
        _cx.Selector.Remove(_socket);
        _cx.Api.Close(_socket);
        _cx.Connections.Remove(this);
        if (_pending is not null)
        {
            _cx.Pool.Return(_pending);
            _pending = null;
        }
        Counters c = _cx.Counters;
        c.TcpOpen--;
        _cx.Slots.Release();
        switch (reason)
        {
            case CloseReason.Eof: c.TcpClosedEof++; break;
            case CloseReason.Reset: c.TcpClosedReset++; break;
            case CloseReason.Idle: c.TcpClosedIdle++; break;
            case CloseReason.Shutdown: c.TcpClosedShutdown++; break;
            default: c.TcpClosedError++; break;
        }
        Log log = _cx.Log;
        if (reason == CloseReason.Error ? log.Error : log.Debug)
        {
            log.Begin(reason == CloseReason.Error ? "error" : "debug").Append("tcp ").Append(_peer).Append(" closed: ");
            log.Append(reason switch
            {
                CloseReason.Eof => "eof",
                CloseReason.Reset => "reset",
                CloseReason.Idle => "idle",
                CloseReason.Shutdown => "shutdown",
                _ => "error",
            });
            if (errno != 0) log.Append(' ').AppendErrno(errno, _cx.Api);
            log.End();
        }
        _socket = SocketHandle.Invalid;
        _cx.ConnectionPool.Return(this);
    }

    private static bool IsReset(int errno) =>
        errno == Errno.ECONNRESET || errno == Errno.EPIPE || errno == Errno.ETIMEDOUT || errno == Errno.ENOTCONN;
}
