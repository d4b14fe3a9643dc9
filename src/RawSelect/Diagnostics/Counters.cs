using System;
using System.Threading;

namespace RawSelect;

/// <summary>
/// What happened, counted. Plain fields: only the loop thread writes them. Printed as one
/// key=value line on SIGUSR1 and at exit (--log-level info).
/// </summary>
public sealed class Counters
{
    public long TcpAccepted;
    public long TcpRefusedMaxClients;
    public long TcpRefusedFdLimit;
    public long TcpAcceptErrors;
    public long TcpAcceptEmfile;
    public long TcpClosedEof;
    public long TcpClosedReset;
    public long TcpClosedIdle;
    public long TcpClosedError;
    public long TcpClosedShutdown;
    public long TcpBytesIn;
    public long TcpBytesOut;
    public long UdpDatagramsIn;
    public long UdpDatagramsOut;
    public long UdpDroppedServicePort;
    public long UdpDroppedBroadcast;
    public long UdpDroppedTruncated;
    public long UdpDroppedSendError;
    public long UdpIcmpErrors;
    public long UdpBytesIn;
    public long UdpBytesOut;
    public long SelectCalls;
    public long SelectEintr;
    public long Wakeups;
    /// <summary>Wake-ups on a socket every loop watches that another loop had served first.</summary>
    public long HerdLost;

    public int TcpOpen;

    public void Write(Log log, string label)
    {
        log.Begin("info").Append(label)
            .Append(" tcp_accepted=").Append(TcpAccepted)
            .Append(" tcp_open=").Append(TcpOpen)
            .Append(" tcp_refused_max_clients=").Append(TcpRefusedMaxClients)
            .Append(" tcp_refused_fd_limit=").Append(TcpRefusedFdLimit)
            .Append(" tcp_accept_emfile=").Append(TcpAcceptEmfile)
            .Append(" tcp_accept_errors=").Append(TcpAcceptErrors)
            .Append(" tcp_closed_eof=").Append(TcpClosedEof)
            .Append(" tcp_closed_reset=").Append(TcpClosedReset)
            .Append(" tcp_closed_idle=").Append(TcpClosedIdle)
            .Append(" tcp_closed_error=").Append(TcpClosedError)
            .Append(" tcp_closed_shutdown=").Append(TcpClosedShutdown)
            .Append(" tcp_bytes_in=").Append(TcpBytesIn)
            .Append(" tcp_bytes_out=").Append(TcpBytesOut)
            .Append(" udp_datagrams_in=").Append(UdpDatagramsIn)
            .Append(" udp_datagrams_out=").Append(UdpDatagramsOut)
            .Append(" udp_dropped_service_port=").Append(UdpDroppedServicePort)
            .Append(" udp_dropped_broadcast=").Append(UdpDroppedBroadcast)
            .Append(" udp_dropped_truncated=").Append(UdpDroppedTruncated)
            .Append(" udp_dropped_send_error=").Append(UdpDroppedSendError)
            .Append(" udp_icmp_errors=").Append(UdpIcmpErrors)
            .Append(" udp_bytes_in=").Append(UdpBytesIn)
            .Append(" udp_bytes_out=").Append(UdpBytesOut)
            .Append(" select_calls=").Append(SelectCalls)
            .Append(" select_eintr=").Append(SelectEintr)
            .Append(" log_lines_dropped=").Append(log.LinesDropped)
            .Append(" gc_collections=").Append(GC.CollectionCount(0))
            .Append(" herd_lost=").Append(HerdLost)
            .End();
    }

    /// <summary>Adds another loop's counts (read from another thread: each value is whole,
    /// the set is a moment's picture, which is all a counters line promises).</summary>
    public void Add(Counters o)
    {
        TcpAccepted += Volatile.Read(ref o.TcpAccepted);
        TcpRefusedMaxClients += Volatile.Read(ref o.TcpRefusedMaxClients);
        TcpRefusedFdLimit += Volatile.Read(ref o.TcpRefusedFdLimit);
        TcpAcceptErrors += Volatile.Read(ref o.TcpAcceptErrors);
        TcpAcceptEmfile += Volatile.Read(ref o.TcpAcceptEmfile);
        TcpClosedEof += Volatile.Read(ref o.TcpClosedEof);
        TcpClosedReset += Volatile.Read(ref o.TcpClosedReset);
        TcpClosedIdle += Volatile.Read(ref o.TcpClosedIdle);
        TcpClosedError += Volatile.Read(ref o.TcpClosedError);
        TcpClosedShutdown += Volatile.Read(ref o.TcpClosedShutdown);
        TcpBytesIn += Volatile.Read(ref o.TcpBytesIn);
        TcpBytesOut += Volatile.Read(ref o.TcpBytesOut);
        UdpDatagramsIn += Volatile.Read(ref o.UdpDatagramsIn);
        UdpDatagramsOut += Volatile.Read(ref o.UdpDatagramsOut);
        UdpDroppedServicePort += Volatile.Read(ref o.UdpDroppedServicePort);
        UdpDroppedBroadcast += Volatile.Read(ref o.UdpDroppedBroadcast);
        UdpDroppedTruncated += Volatile.Read(ref o.UdpDroppedTruncated);
        UdpDroppedSendError += Volatile.Read(ref o.UdpDroppedSendError);
        UdpIcmpErrors += Volatile.Read(ref o.UdpIcmpErrors);
        UdpBytesIn += Volatile.Read(ref o.UdpBytesIn);
        UdpBytesOut += Volatile.Read(ref o.UdpBytesOut);
        SelectCalls += Volatile.Read(ref o.SelectCalls);
        SelectEintr += Volatile.Read(ref o.SelectEintr);
        Wakeups += Volatile.Read(ref o.Wakeups);
        HerdLost += Volatile.Read(ref o.HerdLost);
        TcpOpen += Volatile.Read(ref o.TcpOpen);
    }

    /// <summary>
    /// One loop's share, at info after the summed line (--loops N > 1):
    /// "loop=1 exit tcp_accepted=... udp_datagrams_in=... select_calls=... herd_lost=...".
    /// </summary>
    public void WriteShare(Log log, string label, int loop)
    {
        log.Begin("info").Append("loop=").Append(loop).Append(' ').Append(label)
            .Append(" tcp_accepted=").Append(TcpAccepted)
            .Append(" tcp_open=").Append(TcpOpen)
            .Append(" udp_datagrams_in=").Append(UdpDatagramsIn)
            .Append(" select_calls=").Append(SelectCalls)
            .Append(" herd_lost=").Append(HerdLost)
            .End();
    }
}
