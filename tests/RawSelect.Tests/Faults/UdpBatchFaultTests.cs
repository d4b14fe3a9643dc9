using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

/// <summary>The recvmmsg/sendmmsg path: batches in, runs of kept datagrams out, EAGAIN held.</summary>
public class UdpBatchFaultTests
{
    private sealed class Fake
    {
        public readonly Harness H = new();
        public readonly UdpEndpoint U;
        public readonly Queue<object> Incoming = new(); // (byte[] data, int port) or int -errno
        public readonly Queue<int> SendAnswers = new(); // cap on how many one sendmmsg takes; negative = -errno
        public readonly List<(byte[] Data, ushort Port)> Sent = new();
        public int RecvCalls;

        public Fake()
        {
            U = new UdpEndpoint(H.Cx, Harness.Fd(4), NetAddress.IPv4Loopback(6000), allowServicePorts: false);
            H.Selector.Add(Harness.Fd(4), Interest.Read, U);
            H.Api.RecvMany(Harness.Fd(4), Arg.Any<DatagramBatch>(), Arg.Any<int>()).Returns(ci =>
            {
                RecvCalls++;
                var b = ci.Arg<DatagramBatch>();
                int want = ci.ArgAt<int>(2);
                if (Incoming.Count == 0) return -Errno.EAGAIN;
                if (Incoming.Peek() is int e) { Incoming.Dequeue(); return e; }
                int n = 0;
                while (n < want && Incoming.Count > 0 && Incoming.Peek() is ValueTuple<byte[], int>)
                {
                    var (data, port) = ((byte[], int))Incoming.Dequeue();
                    data.CopyTo(b.Buffer, DatagramBatch.Offset(n));
                    b.Lengths[n] = data.Length;
                    b.Peers[n] = NetAddress.IPv4Loopback((ushort)port);
                    n++;
                }
                return n;
            });
            H.Api.SendMany(Harness.Fd(4), Arg.Any<DatagramBatch>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
            {
                var b = ci.Arg<DatagramBatch>();
                int start = ci.ArgAt<int>(2), count = ci.ArgAt<int>(3);
                int cap = SendAnswers.Count == 0 ? count : SendAnswers.Dequeue();
                if (cap < 0) return cap;
                int n = Math.Min(cap, count);
                for (int i = start; i < start + n; i++)
                    Sent.Add((b.Buffer.AsSpan(DatagramBatch.Offset(i), b.Lengths[i]).ToArray(), b.Peers[i].Port));
                return n;
            });
        }
    }

    private static (byte[], int) D(int size, int port) => (Harness.Bytes(size, port), port);

    [Fact]
    public void A_short_batch_means_the_queue_is_empty_and_no_extra_call_is_made()
    {
        var f = new Fake();
        f.Incoming.Enqueue(D(100, 40000));
        f.Incoming.Enqueue(D(0, 40001));
        f.U.OnReady(true, false);
        Assert.Equal(1, f.RecvCalls);
        Assert.Equal(new[] { 100, 0 }, f.Sent.Select(s => s.Data.Length));
        Assert.Equal(new ushort[] { 40000, 40001 }, f.Sent.Select(s => s.Port));
    }

    [Fact]
    public void Dropped_datagrams_split_the_batch_into_runs_and_are_not_echoed()
    {
        var f = new Fake();
        f.Incoming.Enqueue(D(10, 40000));
        f.Incoming.Enqueue(D(10, 19));     // chargen
        f.Incoming.Enqueue(D(10, 40002));
        f.Incoming.Enqueue(D(10, 40003));
        f.U.OnReady(true, false);
        Assert.Equal(new ushort[] { 40000, 40002, 40003 }, f.Sent.Select(s => s.Port));
        Assert.Equal(1, f.H.Counters.UdpDroppedServicePort);
        f.H.Api.Received(2).SendMany(Harness.Fd(4), Arg.Any<DatagramBatch>(), Arg.Any<int>(), Arg.Any<int>());
    }

    [Fact]
    public void Partial_sendmmsg_then_EAGAIN_holds_the_rest_until_writable()
    {
        var f = new Fake();
        for (int i = 0; i < 5; i++) f.Incoming.Enqueue(D(20 + i, 40000 + i));
        f.Incoming.Enqueue(D(99, 41000)); // must wait: reading pauses while replies are held
        f.SendAnswers.Enqueue(2);
        f.SendAnswers.Enqueue(-Errno.EAGAIN);
        f.U.OnReady(true, false);

        Assert.Equal(2, f.Sent.Count);
        Assert.True(f.U.Holding);
        f.U.OnReady(true, false); // not writable: nothing moves
        Assert.Equal(2, f.Sent.Count);

        f.U.OnReady(false, true);
        Assert.False(f.U.Holding);
        Assert.Equal(new[] { 20, 21, 22, 23, 24, 99 }, f.Sent.Select(s => s.Data.Length));
        Assert.Equal(0, f.H.Counters.UdpDroppedSendError);
    }

    [Fact]
    public void A_failed_reply_is_dropped_alone()
    {
        var f = new Fake();
        for (int i = 0; i < 3; i++) f.Incoming.Enqueue(D(5, 40000 + i));
        f.SendAnswers.Enqueue(1);
        f.SendAnswers.Enqueue(-Errno.ENETUNREACH);
        f.U.OnReady(true, false);
        Assert.Equal(new ushort[] { 40000, 40002 }, f.Sent.Select(s => s.Port));
        Assert.Equal(1, f.H.Counters.UdpDroppedSendError);
    }

    [Fact]
    public void Icmp_errors_and_truncation_are_counted_not_fatal()
    {
        var f = new Fake();
        f.Incoming.Enqueue(-Errno.ECONNREFUSED);
        f.Incoming.Enqueue(D(7, 40000));
        f.U.OnReady(true, false);
        Assert.Equal(1, f.H.Counters.UdpIcmpErrors);
        Assert.Single(f.Sent);
    }

    [Fact]
    public void A_flood_is_bounded_per_wakeup()
    {
        var f = new Fake();
        for (int i = 0; i < 500; i++) f.Incoming.Enqueue(D(1, 40000 + i));
        f.U.OnReady(true, false);
        Assert.Equal(UdpEndpoint.Batch, f.Sent.Count);
    }

    [Fact]
    public void Without_recvmmsg_it_falls_back_to_recvfrom()
    {
        var h = new Harness(); // RecvMany answers ENOSYS
        var u = new UdpEndpoint(h.Cx, Harness.Fd(4), NetAddress.IPv4Loopback(6000), false);
        int calls = 0;
        h.Api.RecvFrom(Harness.Fd(4), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>(), out Arg.Any<NetAddress>())
            .Returns(ci => { ci[4] = NetAddress.IPv4Loopback(40000); return calls++ == 0 ? 3 : -Errno.EAGAIN; });
        u.OnReady(true, false);
        u.OnReady(true, false);
        h.Api.Received(1).RecvMany(Harness.Fd(4), Arg.Any<DatagramBatch>(), Arg.Any<int>());
        h.Api.Received(1).SendTo(Harness.Fd(4), Arg.Any<byte[]>(), 0, 3, Arg.Any<NetAddress>());
    }

    [Fact]
    public void Recvmmsg_EINTR_is_retried_within_the_budget()
    {
        var f = new Fake();
        f.Incoming.Enqueue(-Errno.EINTR);
        f.Incoming.Enqueue(D(8, 40000));
        f.U.OnReady(true, false);
        Assert.Single(f.Sent);
        Assert.Equal(0, f.H.Counters.UdpIcmpErrors);
    }

    [Theory]
    [InlineData(Errno.EINTR)]
    [InlineData(Errno.ENOBUFS)]
    public void Sendmmsg_EINTR_retries_and_ENOBUFS_holds(int errno)
    {
        var f = new Fake();
        f.Incoming.Enqueue(D(8, 40000));
        f.Incoming.Enqueue(D(9, 40001));
        f.SendAnswers.Enqueue(-errno);
        f.U.OnReady(true, false);
        if (errno == Errno.ENOBUFS)
        {
            Assert.True(f.U.Holding);
            f.U.OnReady(false, true);
        }
        Assert.False(f.U.Holding);
        Assert.Equal(new[] { 8, 9 }, f.Sent.Select(s => s.Data.Length));
    }

    [Fact]
    public void EOPNOTSUPP_from_recvmmsg_falls_back_to_recvfrom()
    {
        var h = new Harness();
        h.Api.RecvMany(Harness.Fd(4), Arg.Any<DatagramBatch>(), Arg.Any<int>()).Returns(-Errno.EOPNOTSUPP);
        var u = new UdpEndpoint(h.Cx, Harness.Fd(4), NetAddress.IPv4Loopback(6000), false);
        int calls = 0;
        h.Api.RecvFrom(Harness.Fd(4), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>(), out Arg.Any<NetAddress>())
            .Returns(ci => { ci[4] = NetAddress.IPv4Loopback(40000); return calls++ == 0 ? 3 : -Errno.EAGAIN; });
        u.OnReady(true, false);
        h.Api.Received(1).SendTo(Harness.Fd(4), Arg.Any<byte[]>(), 0, 3, Arg.Any<NetAddress>());
    }
}
