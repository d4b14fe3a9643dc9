using System;

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
            .End();
    }
}
