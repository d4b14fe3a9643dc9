using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

public class UdpFaultTests
{
    /// <summary>recvfrom answers: (data, port) is a datagram from 127.0.0.1:port, an int is -errno.</summary>
    private static void RecvFromReturns(Harness h, params object[] answers)
    {
        var q = new Queue<object>(answers);
        h.Api.RecvFrom(Harness.Fd(4), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>(), out Arg.Any<NetAddress>()).Returns(ci =>
        {
            object a = q.Count == 0 ? -Errno.EAGAIN : q.Dequeue();
            if (a is int e) return (nint)e;
            var (data, port) = ((byte[], int))a;
            Buffer.BlockCopy(data, 0, ci.ArgAt<byte[]>(1), 0, data.Length);
            ci[4] = NetAddress.IPv4Loopback((ushort)port);
            return data.Length;
        });
    }

    private static (Harness, UdpEndpoint, List<(byte[] Data, ushort Port)>) Udp(params int[] sendAnswers)
    {
        var h = new Harness();
        var u = new UdpEndpoint(h.Cx, Harness.Fd(4), NetAddress.IPv4Loopback(6000), allowServicePorts: false);
        h.Selector.Add(Harness.Fd(4), Interest.Read, u);
        var sent = new List<(byte[], ushort)>();
        var q = new Queue<int>(sendAnswers);
        h.Api.SendTo(Harness.Fd(4), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>(), Arg.Any<NetAddress>()).Returns(ci =>
        {
            int a = q.Count == 0 ? 0 : q.Dequeue();
            if (a < 0) return a;
            int n = ci.ArgAt<int>(3);
            sent.Add((ci.ArgAt<byte[]>(1).AsSpan(ci.ArgAt<int>(2), n).ToArray(), ci.ArgAt<NetAddress>(4).Port));
            return n;
        });
        return (h, u, sent);
    }

    [Fact]
    public void Icmp_errors_from_recvfrom_are_not_fatal()
    {
        var (h, u, sent) = Udp();
        byte[] d = Harness.Bytes(100);
        RecvFromReturns(h, -Errno.ECONNREFUSED, -Errno.EHOSTUNREACH, (d, 40000));
        u.OnReady(true, false);
        Assert.Equal(2, h.Counters.UdpIcmpErrors);
        Assert.Equal(d, Assert.Single(sent).Data);
        Assert.Equal(40000, sent[0].Port);
        Assert.True(u.Socket.IsValid);
    }

    [Fact]
    public void Service_ports_and_zero_length_datagrams()
    {
        var (h, u, sent) = Udp();
        RecvFromReturns(h, (new byte[5], 7), (new byte[5], 19), (new byte[5], 0), (Array.Empty<byte>(), 40001));
        u.OnReady(true, false);
        Assert.Equal(3, h.Counters.UdpDroppedServicePort);
        Assert.Empty(Assert.Single(sent).Data);
    }

    [Fact]
    public void Sendto_EAGAIN_holds_the_datagram_and_waits_for_writability()
    {
        var (h, u, sent) = Udp(-Errno.EAGAIN);
        byte[] a = Harness.Bytes(50, 1), b = Harness.Bytes(60, 2);
        RecvFromReturns(h, (a, 40000), (b, 40001));
        u.OnReady(true, false);
        Assert.Empty(sent);
        h.Api.Received(1).RecvFrom(Harness.Fd(4), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>(), out Arg.Any<NetAddress>());

        u.OnReady(false, true); // writable: the held reply leaves, then reading resumes
        Assert.Equal(new[] { a, b }, sent.Select(s => s.Data));
        Assert.Equal(0, h.Counters.UdpDroppedSendError);
    }

    [Fact]
    public void A_burst_is_drained_in_bounded_batches()
    {
        var (h, u, sent) = Udp();
        RecvFromReturns(h, Enumerable.Range(0, 200).Select(i => (object)(new byte[] { (byte)i }, 40000 + i)).ToArray());
        u.OnReady(true, false);
        Assert.Equal(UdpEndpoint.Batch, sent.Count);
        u.OnReady(true, false);
        Assert.Equal(2 * UdpEndpoint.Batch, sent.Count);
    }

    [Fact]
    public void Truncation_is_detected_and_counted()
    {
        var (h, u, sent) = Udp();
        h.Api.RecvFrom(Harness.Fd(4), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>(), out Arg.Any<NetAddress>())
            .Returns(ci => { ci[4] = NetAddress.IPv4Loopback(40000); return UdpEndpoint.BufferSize + 1; }, ci => -Errno.EAGAIN);
        u.OnReady(true, false);
        Assert.Empty(sent);
        Assert.Equal(1, h.Counters.UdpDroppedTruncated);
    }

    [Fact]
    public void Recvfrom_EINTR_is_retried()
    {
        var (h, u, sent) = Udp();
        RecvFromReturns(h, -Errno.EINTR, (new byte[3], 40000));
        u.OnReady(true, false);
        Assert.Single(sent);
        Assert.Equal(0, h.Counters.UdpIcmpErrors);
    }

    [Fact]
    public void Sendto_EINTR_is_retried_and_ENOBUFS_holds_the_datagram()
    {
        var (h, u, sent) = Udp(-Errno.EINTR, 0, -Errno.ENOBUFS);
        RecvFromReturns(h, (new byte[3], 40000), (new byte[4], 40001));
        u.OnReady(true, false);
        Assert.Single(sent);            // the first, after one EINTR
        u.OnReady(false, true);         // the second was held on ENOBUFS
        Assert.Equal(new[] { 3, 4 }, sent.Select(s => s.Data.Length));
        Assert.Equal(0, h.Counters.UdpDroppedSendError);
    }

    [Fact]
    public void Other_sendto_errors_drop_only_that_reply()
    {
        var (h, u, sent) = Udp(-Errno.EPERM);
        RecvFromReturns(h, (new byte[3], 40000), (new byte[4], 40001));
        u.OnReady(true, false);
        Assert.Equal(4, Assert.Single(sent).Data.Length);
        Assert.Equal(1, h.Counters.UdpDroppedSendError);
    }
}
