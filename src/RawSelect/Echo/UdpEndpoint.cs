using System;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// A UDP echo socket: whole datagrams back to their senders. Receives a batch per system call
/// (recvmmsg) and answers the batch in one more (sendmmsg), falling back to recvfrom/sendto where
/// the platform lacks them. At most <see cref="Batch"/> datagrams per wake-up, so a flood cannot
/// starve TCP clients. Replies the kernel will not take (EAGAIN) are held and reading pauses
/// until the socket is writable again, so a burst loses nothing here.
/// </summary>
public sealed class UdpEndpoint : IEventHandler, ITraceDescribed, IDisposable
{
    /// <summary>Datagrams per wake-up.</summary>
    public const int Batch = 64;

    /// <summary>Datagrams per recvmmsg: 16 slots of 64 KiB is 1 MiB of address space, little of it resident.</summary>
    public const int BatchSlots = 16;

    /// <summary>Larger than any UDP payload (65507 over IPv4, 65527 over IPv6), so none is cut.</summary>
    public const int BufferSize = DatagramBatch.SlotSize;

    private readonly ServerContext _cx;
    private readonly bool _allowServicePorts;
    private DatagramBatch? _batch;
    private bool _batchUnsupported;
    private readonly bool[] _keep = new bool[BatchSlots];
    private int _heldStart;
    private int _heldEnd;
    private RateLimit _dropLog;

    public UdpEndpoint(ServerContext context, SocketHandle socket, in NetAddress address, bool allowServicePorts)
    {
        _cx = context;
        Socket = socket;
        Address = address;
        _allowServicePorts = allowServicePorts;
    }

    public SocketHandle Socket { get; private set; }
    public NetAddress Address { get; }

    /// <summary>Whether replies wait for the socket to become writable.</summary>
    public bool Holding => _heldEnd > _heldStart;

    string ITraceDescribed.TraceRole => "udp-socket";

    void ITraceDescribed.AppendTraceAddress(Log log) => log.Append(Address);

    /// <summary>A passed socket every loop watches: a wake-up that finds nothing is a lost race (see <see cref="Herd"/>).</summary>
    public bool SharedByLoops { get; init; }

    private bool _firstReceive;

    public void OnReady(bool readable, bool writable)
    {
        if (!Socket.IsValid) return;
        _firstReceive = readable && SharedByLoops;
        if (Holding)
        {
            if (!writable) return;
            int blockedAt = SendRuns(_heldStart, _heldEnd);
            if (blockedAt >= 0) { _heldStart = blockedAt; return; }
            _heldStart = _heldEnd = 0;
            _cx.Selector.Modify(Socket, Interest.Read);
        }

        if (!_batchUnsupported) ReceiveBatches();
        else ReceiveOneByOne();
    }

    private void ReceiveBatches()
    {
        _batch ??= new DatagramBatch(BatchSlots);
        int budget = Batch;
        while (budget > 0)
        {
            int want = Math.Min(budget, BatchSlots);
            int n = _cx.Api.RecvMany(Socket, _batch, want);
            if (n < 0)
            {
                int errno = -n;
                if (errno == Errno.EAGAIN) { LostRace(); return; }
                if (errno == Errno.ENOSYS || errno == Errno.EOPNOTSUPP)
                {
                    _batchUnsupported = true;
                    _batch.Dispose();
                    _batch = null;
                    ReceiveOneByOne();
                    return;
                }
                budget--;
                if (errno != Errno.EINTR) IcmpError(errno);
                continue;
            }
            _firstReceive = false;
            if (n == 0) return;
            budget -= n;

            for (int i = 0; i < n; i++) _keep[i] = Admit(_batch.Lengths[i], _batch.Peers[i]);
            int blockedAt = SendRuns(0, n);
            if (blockedAt >= 0)
            {
                _heldStart = blockedAt;
                _heldEnd = n;
                _cx.Selector.Modify(Socket, Interest.Write);
                return;
            }
            // Fewer than asked: the queue is empty. Skip the call that would only say EAGAIN.
            if (n < want) return;
        }
    }

    /// <summary>
    /// Sends the kept datagrams among slots [from, to), each contiguous run in one sendmmsg.
    /// Returns -1 when all left, or the slot where the kernel would take no more.
    /// </summary>
    private int SendRuns(int from, int to)
    {
        DatagramBatch b = _batch!;
        int i = from;
        while (i < to)
        {
            if (!_keep[i]) { i++; continue; }
            int end = i;
            while (end < to && _keep[end]) end++;
            while (i < end)
            {
                int r = _cx.Api.SendMany(Socket, b, i, end - i);
                if (r > 0)
                {
                    for (int k = i; k < i + r; k++)
                    {
                        _cx.Counters.UdpBytesOut += b.Lengths[k];
                        _keep[k] = false;
                    }
                    _cx.Counters.UdpDatagramsOut += r;
                    i += r;
                    continue;
                }
                int errno = r < 0 ? -r : Errno.EAGAIN;
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS) return i;
                SendFailed(b.Peers[i], errno);
                _keep[i] = false;
                i++;
            }
        }
        return -1;
    }

    /// <summary>Whether a received datagram gets an echo; drops are counted and (rarely) logged.</summary>
    private bool Admit(long length, in NetAddress from)
    {
        Counters c = _cx.Counters;
        c.UdpDatagramsIn++;
        c.UdpBytesIn += Math.Min(length, BufferSize);
        if (length > BufferSize)
        {
            c.UdpDroppedTruncated++;
            Dropped(from, "truncated");
            return false;
        }
        if (!_allowServicePorts && UdpSourceFilter.IsServicePort(from.Port))
        {
            c.UdpDroppedServicePort++;
            Dropped(from, "from a service port");
            return false;
        }
        if (from.IsBroadcastOrMulticast)
        {
            c.UdpDroppedBroadcast++;
            Dropped(from, "from a broadcast/multicast address");
            return false;
        }
        return true;
    }

    // ---- the portable path: one datagram per system call ----

    private byte[]? _single;
    private int _singleHeldLength = -1;
    private NetAddress _singleHeldTo;

    private void ReceiveOneByOne()
    {
        _single ??= new byte[BufferSize];
        if (_singleHeldLength >= 0)
        {
            if (!ReplySingle(_singleHeldLength, _singleHeldTo)) return;
            _singleHeldLength = -1;
            _cx.Selector.Modify(Socket, Interest.Read);
        }
        for (int i = 0; i < Batch; i++)
        {
            nint n = _cx.Api.RecvFrom(Socket, _single, 0, _single.Length, out NetAddress from);
            if (n < 0)
            {
                int errno = (int)-n;
                if (errno == Errno.EAGAIN) { LostRace(); return; }
                if (errno != Errno.EINTR) IcmpError(errno);
                continue;
            }
            _firstReceive = false;
            if (!Admit(n, from)) continue;
            if (!ReplySingle((int)n, from))
            {
                _singleHeldLength = (int)n;
                _singleHeldTo = from;
                _cx.Selector.Modify(Socket, Interest.Write);
                return;
            }
        }
    }

    /// <summary>False only when the kernel would block: the caller holds the datagram.</summary>
    private bool ReplySingle(int length, in NetAddress to)
    {
        while (true)
        {
            nint r = _cx.Api.SendTo(Socket, _single!, 0, length, to);
            if (r >= 0)
            {
                _cx.Counters.UdpDatagramsOut++;
                _cx.Counters.UdpBytesOut += length;
                return true;
            }
            int errno = (int)-r;
            if (errno == Errno.EINTR) continue;
            if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS) return false;
            SendFailed(to, errno);
            return true;
        }
    }

    /// <summary>
    /// ECONNREFUSED, EHOSTUNREACH...: an ICMP error for an earlier reply, queued on the socket.
    /// It concerns that one peer, never the server.
    /// </summary>
    private void IcmpError(int errno)
    {
        _cx.Counters.UdpIcmpErrors++;
        if (_cx.Log.Debug) _cx.Log.Begin("debug").Append("udp ").Append(Address).Append(": ").AppendErrno(errno, _cx.Api).End();
    }

    private void SendFailed(in NetAddress to, int errno)
    {
        _cx.Counters.UdpDroppedSendError++;
        if (_cx.Log.Debug) _cx.Log.Begin("debug").Append("udp ").Append(to).Append(" reply dropped: ").AppendErrno(errno, _cx.Api).End();
    }

    /// <summary>At most one log line a second: a flood of drops must not become a flood of logs.</summary>
    private void Dropped(in NetAddress from, string why)
    {
        if (!_cx.Log.Info || !_dropLog.Allow(_cx.Now, out long held)) return;
        _cx.Log.Begin("info").Append("udp ").Append(from).Append(" dropped: ").Append(why).AppendHeldBack(held).End();
    }

    public void Close()
    {
        if (!Socket.IsValid) return;
        _cx.Selector.Remove(Socket);
        _cx.Api.Close(Socket);
        Socket = SocketHandle.Invalid;
        Dispose();
    }

    public void Dispose()
    {
        _batch?.Dispose();
        _batch = null;
    }

    private void LostRace()
    {
        if (!_firstReceive) return;
        _firstReceive = false;
        Herd.Lost(_cx, "udp-socket", Socket, Address);
    }
}
