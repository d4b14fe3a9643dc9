using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

/// <summary>
/// A passed socket every loop watches (--loops N with socket activation): a wake-up whose first
/// accept or receive finds EAGAIN lost the race to another loop. Counted (herd_lost) and traced
/// with the loop's number; a socket of the loop's own is never counted.
/// </summary>
public class HerdFaultTests
{
    [Fact]
    public void An_accept_that_finds_EAGAIN_first_on_a_shared_listener_is_a_lost_race_counted_and_traced()
    {
        var text = new MemoryStream();
        var h = new Harness();
        var cx = new ServerContext(h.Api, h.Selector, CapturedLog.For(LogLevel.Trace, text).ForLoop(1), h.Counters, 1024);
        h.Api.OpenSpare(out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(90); return 0; });
        h.Api.Accept(Harness.Fd(3), out Arg.Any<SocketHandle>(), out Arg.Any<NetAddress>()).Returns(-Errno.EAGAIN);
        var shared = new TcpListener(cx, Harness.Fd(3), NetAddress.IPv4Loopback(7)) { SharedByLoops = true };

        shared.OnReady(true, false);
        shared.OnReady(true, false);

        Assert.Equal(2, h.Counters.HerdLost);
        Assert.Equal(0, h.Counters.TcpAccepted);
        Assert.Matches(@"trace: t=\d+ loop=1 herd: lost the race for tcp-listener fd 3 127\.0\.0\.1:7 \(another loop took it: EAGAIN\)", CapturedLog.TextOf(text));
    }

    [Fact]
    public void EAGAIN_after_accepting_ends_the_batch_and_is_no_lost_race()
    {
        var h = new Harness();
        h.Api.OpenSpare(out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(90); return 0; });
        var answers = new Queue<int>([10, -Errno.EAGAIN]);
        h.Api.Accept(Harness.Fd(3), out Arg.Any<SocketHandle>(), out Arg.Any<NetAddress>()).Returns(ci =>
        {
            int a = answers.Count == 0 ? -Errno.EAGAIN : answers.Dequeue();
            ci[1] = a >= 0 ? Harness.Fd(a) : SocketHandle.Invalid;
            ci[2] = NetAddress.IPv4Loopback(41000);
            return a >= 0 ? 0 : a;
        });
        var shared = new TcpListener(h.Cx, Harness.Fd(3), NetAddress.IPv4Loopback(7)) { SharedByLoops = true };
        var own = new TcpListener(h.Cx, Harness.Fd(4), NetAddress.IPv4Loopback(8));
        h.Api.Accept(Harness.Fd(4), out Arg.Any<SocketHandle>(), out Arg.Any<NetAddress>()).Returns(-Errno.EAGAIN);

        shared.OnReady(true, false);
        own.OnReady(true, false);

        Assert.Equal(1, h.Counters.TcpAccepted);
        Assert.Equal(0, h.Counters.HerdLost);
    }

    [Fact]
    public void A_receive_that_finds_EAGAIN_first_on_a_shared_udp_socket_is_a_lost_race()
    {
        var h = new Harness();
        h.Api.RecvFrom(Harness.Fd(5), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>(), out Arg.Any<NetAddress>()).Returns(-Errno.EAGAIN);
        var shared = new UdpEndpoint(h.Cx, Harness.Fd(5), NetAddress.IPv4Loopback(7), allowServicePorts: false) { SharedByLoops = true };
        var own = new UdpEndpoint(h.Cx, Harness.Fd(5), NetAddress.IPv4Loopback(7), allowServicePorts: false);

        shared.OnReady(true, false);
        own.OnReady(true, false);

        Assert.Equal(1, h.Counters.HerdLost);
    }

    [Fact]
    public void Max_clients_counts_connections_of_every_loop_sharing_the_slots()
    {
        var slots = new ClientSlots(3);
        var loops = new[] { new Harness(), new Harness() };
        var listeners = new List<TcpListener>();
        int next = 10;
        foreach (Harness h in loops)
        {
            h.Cx.Slots = slots;
            h.Api.OpenSpare(out Arg.Any<SocketHandle>()).Returns(ci => { ci[0] = Harness.Fd(90); return 0; });
            var q = new Queue<int>([next++, next++]);
            h.Api.Accept(Harness.Fd(3), out Arg.Any<SocketHandle>(), out Arg.Any<NetAddress>()).Returns(ci =>
            {
                int a = q.Count == 0 ? -Errno.EAGAIN : q.Dequeue();
                ci[1] = a >= 0 ? Harness.Fd(a) : SocketHandle.Invalid;
                ci[2] = NetAddress.IPv4Loopback(41000);
                return a >= 0 ? 0 : a;
            });
            var l = new TcpListener(h.Cx, Harness.Fd(3), NetAddress.IPv4Loopback(5000));
            h.Selector.Add(Harness.Fd(3), Interest.Read, l);
            listeners.Add(l);
        }

        listeners[0].OnReady(true, false);
        listeners[1].OnReady(true, false);

        Assert.Equal(2, loops[0].Counters.TcpOpen);
        Assert.Equal(1, loops[1].Counters.TcpOpen);
        Assert.Equal(1, loops[1].Counters.TcpRefusedMaxClients);
        Assert.Equal(3, slots.Open);

        // A close on one loop frees a slot the other can take.
        loops[0].Cx.Connections.Head!.Close(CloseReason.Eof, 0);
        Assert.Equal(2, slots.Open);
        Assert.True(slots.TryTake());
        Assert.False(slots.TryTake());
    }
}
