using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

public class ListenerFaultTests
{
    private static (Harness h, TcpListener l) Listener(int spareFd = 90)
    {
        var h = new Harness();
        int spare = spareFd;
        h.Api.OpenSpare(out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(spare++); return 0; });
        var l = new TcpListener(h.Cx, Harness.Fd(3), NetAddress.IPv4Loopback(5000));
        h.Selector.Add(Harness.Fd(3), Interest.Read, l);
        return (h, l);
    }

    /// <summary>accept answers: a positive int is a new connection's fd, a negative one -errno.</summary>
    private static void AcceptReturns(Harness h, params int[] answers)
    {
        var q = new Queue<int>(answers);
        h.Api.Accept(Harness.Fd(3), out Arg.Any<SocketHandle>(), out Arg.Any<NetAddress>()).Returns(ci =>
        {
            int a = q.Count == 0 ? -Errno.EAGAIN : q.Dequeue();
            ci[1] = a >= 0 ? Harness.Fd(a) : SocketHandle.Invalid;
            ci[2] = NetAddress.IPv4Loopback(41000);
            return a >= 0 ? 0 : a;
        });
    }

    [Fact]
    public void ECONNABORTED_and_EPROTO_are_skipped_and_EAGAIN_ends_the_batch()
    {
        var (h, l) = Listener();
        AcceptReturns(h, -Errno.ECONNABORTED, 10, -Errno.EPROTO, -Errno.EINTR, 11, -Errno.EAGAIN, 12);

        l.OnReady(true, false);

        Assert.Equal(2, h.Counters.TcpAccepted);
        Assert.Equal(2, h.Counters.TcpAcceptErrors);
        Assert.Equal(2, h.Counters.TcpOpen);
        Assert.Equal(3, h.Selector.Count); // listener + 2 connections; fd 12 waits for the next wake-up
        Assert.Empty(h.Closed);
    }

    [Fact]
    public void Accepts_per_wakeup_are_capped()
    {
        var (h, l) = Listener();
        AcceptReturns(h, Enumerable.Range(10, 200).ToArray());
        l.OnReady(true, false);
        Assert.Equal(TcpListener.AcceptBatch, h.Counters.TcpAccepted);
    }

    [Fact]
    public void EMFILE_releases_the_spare_sheds_one_connection_and_takes_the_spare_back()
    {
        var (h, l) = Listener(spareFd: 90);
        AcceptReturns(h, -Errno.EMFILE, 20);

        l.OnReady(true, false);

        // spare 90 closed, connection 20 accepted into its slot and closed, spare retaken (91)
        Assert.Equal(new[] { 90, 20 }, h.Closed);
        h.Api.Received(2).OpenSpare(out Arg.Any<SocketHandle>());
        Assert.Equal(1, h.Counters.TcpAcceptEmfile);
        Assert.Equal(1, h.Counters.TcpRefusedFdLimit);
        Assert.Equal(0, h.Counters.TcpOpen);
        Assert.Equal(0, h.Counters.TcpAccepted);
    }

    [Fact]
    public void Without_a_spare_EMFILE_pauses_accepting_instead_of_spinning()
    {
        var h = new Harness();
        h.Api.OpenSpare(out Arg.Any<SocketHandle>()).Returns(-Errno.EMFILE);
        var l = new TcpListener(h.Cx, Harness.Fd(3), NetAddress.IPv4Loopback(5000));
        h.Selector.Add(Harness.Fd(3), Interest.Read, l);
        AcceptReturns(h, -Errno.EMFILE, -Errno.EMFILE);
        h.Cx.Now = 1000;

        l.OnReady(true, false);

        Assert.Equal(1000 + TcpListener.PauseMs, l.DueAt);
        // The listener is out of the read set: select no longer reports it.
        FdSetCapture cap = FdSetCapture.On(h);
        h.Selector.Wait(0, new ReadyEvent[4]);
        Assert.False(cap.Read.IsSet(3));

        l.OnTimer(1000 + TcpListener.PauseMs);
        h.Selector.Wait(0, new ReadyEvent[4]);
        Assert.True(cap.Read.IsSet(3));
        Assert.Equal(long.MaxValue, l.DueAt);
    }

    [Fact]
    public void A_descriptor_at_FD_SETSIZE_is_refused_and_counted()
    {
        var (h, l) = Listener();
        AcceptReturns(h, 1023, 1024, 5000);
        l.OnReady(true, false);
        Assert.Equal(1, h.Counters.TcpAccepted);
        Assert.Equal(2, h.Counters.TcpRefusedFdLimit);
        Assert.Equal(new[] { 1024, 5000 }, h.Closed);
    }

    [Fact]
    public void Max_clients_refuses_the_next_connection_at_once()
    {
        var (h, l) = Listener();
        h.Cx.MaxClients = 2;
        AcceptReturns(h, 10, 11, 12, 13);
        l.OnReady(true, false);
        Assert.Equal(2, h.Counters.TcpOpen);
        Assert.Equal(2, h.Counters.TcpRefusedMaxClients);
        Assert.Equal(new[] { 12, 13 }, h.Closed);
    }

    [Fact]
    public void EPERM_from_a_firewall_is_skipped_like_an_aborted_connection()
    {
        var (h, l) = Listener();
        AcceptReturns(h, -Errno.EPERM, 10);
        l.OnReady(true, false);
        Assert.Equal(1, h.Counters.TcpAcceptErrors);
        Assert.Equal(1, h.Counters.TcpAccepted);
    }

    [Fact]
    public void ENFILE_is_handled_like_EMFILE()
    {
        var (h, l) = Listener(spareFd: 90);
        AcceptReturns(h, -Errno.ENFILE, 20);
        l.OnReady(true, false);
        Assert.Equal(new[] { 90, 20 }, h.Closed);
        Assert.Equal(1, h.Counters.TcpAcceptEmfile);
    }

    [Theory]
    [InlineData(Errno.ENOBUFS)]
    [InlineData(Errno.ENOMEM)]
    public void Out_of_kernel_memory_ends_the_batch_and_is_retried_next_wakeup(int errno)
    {
        var (h, l) = Listener();
        AcceptReturns(h, -errno, 10, 11);
        l.OnReady(true, false);
        Assert.Equal(1, h.Counters.TcpAcceptErrors);
        Assert.Equal(0, h.Counters.TcpAccepted);
        l.OnReady(true, false);
        Assert.Equal(2, h.Counters.TcpAccepted);
        Assert.Empty(h.Closed);
    }
}

/// <summary>Records the read/write sets the selector hands to select.</summary>
public sealed class FdSetCapture
{
    public RawSelect.Interop.Unix.LargeFdSet Read = new(1);
    public RawSelect.Interop.Unix.LargeFdSet Write = new(1);
    public int Nfds;

    public static FdSetCapture On(Harness h)
    {
        var cap = new FdSetCapture();
        h.Sys.Select(Arg.Any<int>(), Arg.Any<RawSelect.Interop.Unix.LargeFdSet>(), Arg.Any<RawSelect.Interop.Unix.LargeFdSet>(), Arg.Any<long>())
            .Returns(ci =>
            {
                cap.Nfds = ci.ArgAt<int>(0);
                cap.Read = Harness.Snapshot(ci.ArgAt<RawSelect.Interop.Unix.LargeFdSet>(1));
                cap.Write = Harness.Snapshot(ci.ArgAt<RawSelect.Interop.Unix.LargeFdSet>(2));
                return 0;
            });
        return cap;
    }
}
