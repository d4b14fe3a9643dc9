using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

public class TcpConnectionFaultTests
{
    [Fact]
    public void Echo_leaves_in_the_same_wakeup_and_holds_no_buffer()
    {
        var h = new Harness();
        byte[] data = Harness.Bytes(500);
        h.RecvReturns(5, data);
        h.SendTakes(5);
        TcpConnection c = h.Open(5);

        c.OnReady(readable: true, writable: false);

        Assert.Equal(data, h.Sent.ToArray());
        Assert.Equal(0, c.PendingBytes);
        Assert.Equal(Interest.Read, c.Interest);
        Assert.True(c.IsOpen);
    }

    [Fact]
    public void Recv_EAGAIN_is_spurious_readiness_not_an_error()
    {
        var h = new Harness();
        h.RecvReturns(5, -Errno.EAGAIN, -Errno.EINTR);
        h.SendTakes(5);
        TcpConnection c = h.Open(5);

        c.OnReady(true, false);
        c.OnReady(true, false);

        Assert.True(c.IsOpen);
        Assert.Equal(Interest.Read, c.Interest);
        h.Api.DidNotReceive().Send(Arg.Any<SocketHandle>(), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>());
        Assert.Empty(h.Closed);
    }

    [Fact]
    public void Send_EAGAIN_buffers_the_echo_and_joins_the_write_set()
    {
        var h = new Harness();
        byte[] data = Harness.Bytes(700);
        h.RecvReturns(5, data);
        h.SendTakes(5, -Errno.EAGAIN);
        TcpConnection c = h.Open(5);

        c.OnReady(true, false);
        Assert.Equal(700, c.PendingBytes);
        Assert.Equal(Interest.ReadWrite, c.Interest);
        Assert.Equal(0, h.Sent.Length);

        c.OnReady(false, true); // writable: the rest leaves
        Assert.Equal(data, h.Sent.ToArray());
        Assert.Equal(0, c.PendingBytes);
        Assert.Equal(Interest.Read, c.Interest);
    }

    [Fact]
    public void Partial_send_sends_the_rest_later_and_loses_nothing()
    {
        var h = new Harness(bufferSize: 1000);
        byte[] a = Harness.Bytes(1000, 1), b = Harness.Bytes(400, 2);
        h.RecvReturns(5, a, b);
        h.SendTakes(5, 300, 0, 250, 100); // then everything
        TcpConnection c = h.Open(5);

        c.OnReady(true, false);  // 1000 in, 300 out, 700 pending
        Assert.Equal(700, c.PendingBytes);
        c.OnReady(false, true);  // send takes 0
        Assert.Equal(700, c.PendingBytes);
        c.OnReady(true, true);   // 250 out; then 400 more in queue behind, one send of 100
        c.OnReady(false, true);  // the rest
        c.OnReady(false, true);

        Assert.Equal(a.Concat(b).ToArray(), h.Sent.ToArray());
        Assert.Equal(0, c.PendingBytes);
        Assert.Equal(Interest.Read, c.Interest);
    }

    [Fact]
    public void A_full_buffer_leaves_the_read_set_until_it_drains()
    {
        var h = new Harness(bufferSize: 1000);
        byte[] a = Harness.Bytes(1000, 3), b = Harness.Bytes(500, 4);
        h.RecvReturns(5, a, b);
        h.SendTakes(5, -Errno.EAGAIN, -Errno.EAGAIN, 600); // then everything
        TcpConnection c = h.Open(5);

        c.OnReady(true, false);
        Assert.Equal(1000, c.PendingBytes);
        Assert.Equal(Interest.Write, c.Interest); // backpressure: not reading
        c.OnReady(false, true); // EAGAIN again: still full
        Assert.Equal(Interest.Write, c.Interest);
        c.OnReady(false, true); // 600 out: room again
        Assert.Equal(Interest.ReadWrite, c.Interest);
        c.OnReady(true, true);  // 400 out, then 500 in and out
        Assert.Equal(a.Concat(b).ToArray(), h.Sent.ToArray());
        Assert.Equal(Interest.Read, c.Interest);
    }

    [Fact]
    public void ECONNRESET_on_recv_closes_only_that_connection()
    {
        var h = new Harness();
        h.RecvReturns(5, -Errno.ECONNRESET);
        h.RecvReturns(6, Harness.Bytes(10));
        h.SendTakes(5);
        h.SendTakes(6);
        TcpConnection c5 = h.Open(5), c6 = h.Open(6);

        c5.OnReady(true, false);
        c6.OnReady(true, false);

        Assert.False(c5.IsOpen);
        Assert.True(c6.IsOpen);
        Assert.Equal(new[] { 5 }, h.Closed);
        Assert.Equal(1, h.Counters.TcpClosedReset);
        Assert.Equal(1, h.Counters.TcpOpen);
        Assert.Equal(1, h.Selector.Count);
        Assert.Equal(10, h.Sent.Length);
    }

    [Fact]
    public void EPIPE_on_send_closes_the_connection_and_returns_its_buffer()
    {
        var h = new Harness();
        h.RecvReturns(5, Harness.Bytes(100));
        h.SendTakes(5, 40, -Errno.EPIPE);
        TcpConnection c = h.Open(5);

        c.OnReady(true, false);
        Assert.Equal(60, c.PendingBytes);
        c.OnReady(false, true);

        Assert.False(c.IsOpen);
        Assert.Equal(0, c.PendingBytes);
        Assert.Equal(1, h.Counters.TcpClosedReset);
        Assert.Equal(new[] { 5 }, h.Closed);
        Assert.Equal(0, h.Selector.Count);
    }

    [Fact]
    public void Other_send_errors_close_as_errors()
    {
        var h = new Harness();
        h.RecvReturns(5, Harness.Bytes(10));
        h.SendTakes(5, -Errno.EFAULT);
        TcpConnection c = h.Open(5);
        c.OnReady(true, false);
        Assert.False(c.IsOpen);
        Assert.Equal(1, h.Counters.TcpClosedError);
    }

    [Fact]
    public void EOF_with_echo_pending_flushes_then_shuts_down_and_closes()
    {
        var h = new Harness();
        byte[] data = Harness.Bytes(300);
        h.RecvReturns(5, data, 0);
        h.SendTakes(5, 100, -Errno.EAGAIN); // then everything
        TcpConnection c = h.Open(5);

        c.OnReady(true, false); // 100 out, 200 pending
        c.OnReady(true, false); // EOF: stop reading, keep flushing
        Assert.True(c.IsOpen);
        Assert.Equal(Interest.Write, c.Interest);
        c.OnReady(false, true); // EAGAIN
        Assert.True(c.IsOpen);
        c.OnReady(false, true); // the rest, then FIN and close

        Assert.Equal(data, h.Sent.ToArray());
        Assert.False(c.IsOpen);
        h.Api.Received(1).Shutdown(Harness.Fd(5), ShutdownHow.Write);
        Assert.Equal(1, h.Counters.TcpClosedEof);
    }

    [Fact]
    public void EOF_with_nothing_pending_closes_at_once()
    {
        var h = new Harness();
        h.RecvReturns(5, 0);
        TcpConnection c = h.Open(5);
        c.OnReady(true, false);
        Assert.False(c.IsOpen);
        h.Api.Received(1).Shutdown(Harness.Fd(5), ShutdownHow.Write);
        Assert.Equal(new[] { 5 }, h.Closed);
    }

    [Fact]
    public void Events_for_a_closed_connection_are_ignored()
    {
        var h = new Harness();
        h.RecvReturns(5, -Errno.ECONNRESET);
        TcpConnection c = h.Open(5);
        c.OnReady(true, false);
        h.Api.ClearReceivedCalls();
        c.OnReady(true, true);
        h.Api.DidNotReceiveWithAnyArgs().Recv(default, default!, default, default);
        h.Api.DidNotReceiveWithAnyArgs().Send(default, default!, default, default);
    }

    [Theory]
    [InlineData(Errno.ECONNRESET, CloseReason.Reset)]
    [InlineData(Errno.EPIPE, CloseReason.Reset)]
    [InlineData(Errno.ETIMEDOUT, CloseReason.Reset)]
    [InlineData(Errno.ENOTCONN, CloseReason.Reset)]
    [InlineData(Errno.EFAULT, CloseReason.Error)]
    [InlineData(Errno.ENOMEM, CloseReason.Error)]
    public void Recv_errors_close_with_their_reason(int errno, CloseReason reason)
    {
        var h = new Harness();
        h.RecvReturns(5, -errno);
        TcpConnection c = h.Open(5);
        c.OnReady(true, false);
        Assert.False(c.IsOpen);
        Assert.Equal(reason == CloseReason.Reset ? 1 : 0, h.Counters.TcpClosedReset);
        Assert.Equal(reason == CloseReason.Error ? 1 : 0, h.Counters.TcpClosedError);
        Assert.Equal(new[] { 5 }, h.Closed);
    }

    [Theory]
    [InlineData(Errno.EAGAIN)]
    [InlineData(Errno.EINTR)]
    [InlineData(Errno.ENOBUFS)]
    public void Send_errors_that_mean_not_now_buffer_the_echo(int errno)
    {
        var h = new Harness();
        byte[] data = Harness.Bytes(200);
        h.RecvReturns(5, data);
        h.SendTakes(5, -errno);
        TcpConnection c = h.Open(5);
        c.OnReady(true, false);
        Assert.True(c.IsOpen);
        Assert.Equal(200, c.PendingBytes);
        c.OnReady(false, true);
        Assert.Equal(data, h.Sent.ToArray());
    }

    [Theory]
    [InlineData(Errno.ECONNRESET, CloseReason.Reset)]
    [InlineData(Errno.EPIPE, CloseReason.Reset)]
    [InlineData(Errno.EFAULT, CloseReason.Error)]
    public void Send_errors_close_with_their_reason(int errno, CloseReason reason)
    {
        var h = new Harness();
        h.RecvReturns(5, Harness.Bytes(10));
        h.SendTakes(5, -errno);
        TcpConnection c = h.Open(5);
        c.OnReady(true, false);
        Assert.False(c.IsOpen);
        Assert.Equal(reason == CloseReason.Reset ? 1 : 0, h.Counters.TcpClosedReset);
        Assert.Equal(reason == CloseReason.Error ? 1 : 0, h.Counters.TcpClosedError);
    }
    [Fact]
    public void Shutdown_closes_an_idle_connection_with_nothing_unread_at_once()
    {
        var h = new Harness();
        h.RecvReturns(5); // every recv: EAGAIN
        TcpConnection c = h.Open(5);

        h.Cx.ShuttingDown = true;
        c.BeginShutdown();

        Assert.False(c.IsOpen);
        Assert.Equal(1, h.Counters.TcpClosedShutdown);
    }

    [Theory]
    [InlineData(Errno.ECONNRESET, true)]
    [InlineData(Errno.EPIPE, true)]
    [InlineData(Errno.EBADF, false)]
    public void A_lingering_connection_whose_recv_fails_is_closed_and_counted(int errno, bool reset)
    {
        var h = new Harness();
        // unread input at the stop, then EINTR (retried on the next wake-up), then the failure
        h.RecvReturns(5, Harness.Bytes(100), -Errno.EAGAIN, -Errno.EINTR, -errno);
        TcpConnection c = h.Open(5);

        h.Cx.ShuttingDown = true;
        c.BeginShutdown();
        Assert.True(c.IsOpen);
        c.OnReady(readable: true, writable: false); // EINTR: still lingering
        Assert.True(c.IsOpen);
        c.OnReady(readable: true, writable: false);
        Assert.False(c.IsOpen);
        Assert.Equal(reset ? 1 : 0, h.Counters.TcpClosedReset);
        Assert.Equal(reset ? 0 : 1, h.Counters.TcpClosedShutdown);
    }

    [Fact]
    public void Shutdown_with_echo_still_in_the_kernel_send_queue_lingers_until_the_client_closes()
    {
        var h = new Harness();
        h.RecvReturns(5, -Errno.EAGAIN, -Errno.EAGAIN, 0);
        TcpConnection c = h.Open(5);
        h.Api.UnsentBytes(Harness.Fd(5)).Returns(4096); // the client has not taken it all yet

        h.Cx.ShuttingDown = true;
        c.BeginShutdown();
        h.Api.Received(1).Shutdown(Harness.Fd(5), ShutdownHow.Write);
        Assert.True(c.IsOpen);

        c.OnReady(readable: true, writable: false); // the client's EOF: it has everything
        Assert.False(c.IsOpen);
        Assert.Equal(1, h.Counters.TcpClosedShutdown);
    }

    [Fact]
    public void Shutdown_with_unread_input_sends_FIN_and_lingers_discarding_until_the_client_closes()
    {
        var h = new Harness();
        // unread at the stop, more while lingering, then the client's EOF
        h.RecvReturns(5, Harness.Bytes(300, 1), -Errno.EAGAIN, Harness.Bytes(200, 2), -Errno.EAGAIN, 0);
        TcpConnection c = h.Open(5);

        h.Cx.ShuttingDown = true;
        c.BeginShutdown();
        // close(2) now would meet unread input and reset the connection: FIN, and wait
        h.Api.Received(1).Shutdown(Harness.Fd(5), ShutdownHow.Write);
        Assert.True(c.IsOpen);
        Assert.Equal(Interest.Read, c.Interest);

        c.OnReady(readable: true, writable: false); // 200 more, dropped: our FIN has gone
        Assert.True(c.IsOpen);
        c.OnReady(readable: true, writable: false); // EOF
        Assert.False(c.IsOpen);
        Assert.Equal(0, h.Sent.Length);
        Assert.Equal(1, h.Counters.TcpClosedShutdown);
    }

    [Fact]
    public void Shutdown_with_echo_pending_flushes_it_then_lingers_instead_of_closing_on_unread_input()
    {
        var h = new Harness();
        byte[] data = Harness.Bytes(700);
        h.RecvReturns(5, data, -Errno.EAGAIN, 0);
        h.SendTakes(5, 100, -Errno.EAGAIN); // then everything
        TcpConnection c = h.Open(5);
        c.OnReady(true, false);
        Assert.Equal(600, c.PendingBytes);

        h.Cx.ShuttingDown = true;
        c.BeginShutdown();
        Assert.Equal(Interest.Write, c.Interest); // no reading while the echo owed drains
        c.OnReady(false, true); // send: EAGAIN
        Assert.True(c.IsOpen);
        h.Api.DidNotReceive().Shutdown(Harness.Fd(5), ShutdownHow.Write);
        c.OnReady(false, true); // the rest leaves
        Assert.Equal(data, h.Sent.ToArray());
        h.Api.Received(1).Shutdown(Harness.Fd(5), ShutdownHow.Write);
        Assert.True(c.IsOpen);  // lingering
        c.OnReady(true, false); // EOF
        Assert.False(c.IsOpen);
    }
}
