using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// A UDP echo socket: recvfrom -> sendto, whole datagrams. Drains a bounded batch per wake-up
/// so a flood cannot starve TCP clients. A reply the kernel will not take (EAGAIN) is kept and
/// reading pauses until the socket is writable again, so a burst loses nothing here.
/// </summary>
public sealed class UdpEndpoint : IEventHandler
{
    /// <summary>Datagrams per wake-up.</summary>
    public const int Batch = 64;

    /// <summary>Larger than any UDP payload (65507 over IPv4, 65527 over IPv6), so none is cut.</summary>
    public const int BufferSize = 65536;

    private readonly ServerContext _cx;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly bool _allowServicePorts;
    private int _heldLength = -1;
    private NetAddress _heldTo;
    private long _lastDropLog = long.MinValue / 2;
    private long _dropsSinceLog;

    public UdpEndpoint(ServerContext context, SocketHandle socket, in NetAddress address, bool allowServicePorts)
    {
        _cx = context;
        Socket = socket;
        Address = address;
        _allowServicePorts = allowServicePorts;
    }

    public SocketHandle Socket { get; private set; }
    public NetAddress Address { get; }

    public void OnReady(bool readable, bool writable)
    {
        if (!Socket.IsValid) return;
        if (_heldLength >= 0)
        {
            if (!writable) return;
            if (!Reply(_heldLength, _heldTo)) return; // still full
            _heldLength = -1;
            _cx.Selector.Modify(Socket, Interest.Read);
        }
        if (!readable && !writable) return;

        Counters c = _cx.Counters;
        for (int i = 0; i < Batch; i++)
        {
            nint n = _cx.Api.RecvFrom(Socket, _buffer, 0, _buffer.Length, out NetAddress from);
            if (n < 0)
            {
                int errno = (int)-n;
                if (errno == Errno.EAGAIN) return;
                if (errno == Errno.EINTR) continue;
                // ECONNREFUSED, EHOSTUNREACH...: an ICMP error for an earlier reply, queued on
                // the socket. It concerns that one peer, never the server.
                c.UdpIcmpErrors++;
                if (_cx.Log.Debug) _cx.Log.Begin("debug").Append("udp ").Append(Address).Append(": ").AppendErrno(errno, _cx.Api).End();
                continue;
            }
            c.UdpDatagramsIn++;
            c.UdpBytesIn += n;
            if (n > _buffer.Length)
            {
                c.UdpDroppedTruncated++;
                Dropped(from, "truncated");
                continue;
            }
            if (!_allowServicePorts && UdpSourceFilter.IsServicePort(from.Port))
            {
                c.UdpDroppedServicePort++;
                Dropped(from, "from a service port");
                continue;
            }
            if (from.IsBroadcastOrMulticast)
            {
                c.UdpDroppedBroadcast++;
                Dropped(from, "from a broadcast/multicast address");
                continue;
            }
            if (!Reply((int)n, from))
            {
                _heldLength = (int)n;
                _heldTo = from;
                _cx.Selector.Modify(Socket, Interest.Write);
                return;
            }
        }
    }

    /// <summary>False only when the kernel would block: the caller holds the datagram.</summary>
    private bool Reply(int length, in NetAddress to)
    {
        nint r = _cx.Api.SendTo(Socket, _buffer, 0, length, to);
        if (r >= 0)
        {
            _cx.Counters.UdpDatagramsOut++;
            _cx.Counters.UdpBytesOut += length;
            return true;
        }
        int errno = (int)-r;
        if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS) return false;
        if (errno == Errno.EINTR) return Reply(length, to);
        _cx.Counters.UdpDroppedSendError++;
        if (_cx.Log.Debug) _cx.Log.Begin("debug").Append("udp ").Append(to).Append(" reply dropped: ").AppendErrno(errno, _cx.Api).End();
        return true;
    }

    /// <summary>At most one log line a second: a flood of drops must not become a flood of logs.</summary>
    private void Dropped(in NetAddress from, string why)
    {
        _dropsSinceLog++;
        if (!_cx.Log.Info || _cx.Now - _lastDropLog < 1000) return;
        _cx.Log.Begin("info").Append("udp ").Append(from).Append(" dropped: ").Append(why);
        if (_dropsSinceLog > 1) _cx.Log.Append(" (").Append(_dropsSinceLog).Append(" drops since last report)");
        _cx.Log.End();
        _lastDropLog = _cx.Now;
        _dropsSinceLog = 0;
    }

    public void Close()
    {
        if (!Socket.IsValid) return;
        _cx.Selector.Remove(Socket);
        _cx.Api.Close(Socket);
        Socket = SocketHandle.Invalid;
    }
}
