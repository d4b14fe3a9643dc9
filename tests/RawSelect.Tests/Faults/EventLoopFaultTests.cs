using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Faults;

public class EventLoopFaultTests
{
    private sealed class Recorder : IEventHandler
    {
        public List<(bool R, bool W)> Events { get; } = new();
        public void OnReady(bool readable, bool writable) => Events.Add((readable, writable));
    }

    private static EventLoop Loop(Harness h)
    {
        h.Api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>())
            .Returns(ci => { ci[0] = Harness.Fd(3); ci[1] = Harness.Fd(4); return 0; });
        return new EventLoop(h.Api, h.Selector, h.Counters, new Log(LogLevel.Quiet, Stream.Null));
    }

    [Fact]
    public void Select_EINTR_is_retried_not_fatal()
    {
        var h = new Harness();
        EventLoop loop = Loop(h);
        var rec = new Recorder();
        h.Selector.Add(Harness.Fd(7), Interest.Read, rec);
        int call = 0;
        h.Sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(ci =>
        {
            if (call++ == 0) return -Errno.EINTR;
            return Harness.Ready(ci, [7], []);
        });

        loop.RunOnce();
        Assert.Empty(rec.Events);
        Assert.Equal(1, h.Counters.SelectEintr);
        loop.RunOnce();
        Assert.Equal(new[] { (true, false) }, rec.Events);
    }

    [Fact]
    public void Other_select_errors_stop_the_loop_with_errno()
    {
        var h = new Harness();
        EventLoop loop = Loop(h);
        h.Sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(-Errno.EBADF);
        var e = Assert.Throws<NativeException>(loop.RunOnce);
        Assert.Equal(Errno.EBADF, e.Errno);
    }

    [Fact]
    public void Nfds_is_highest_plus_one_and_shrinks_when_it_closes()
    {
        var h = new Harness();
        EventLoop loop = Loop(h);
        FdSetCapture cap = FdSetCapture.On(h);
        h.Selector.Add(Harness.Fd(9), Interest.Read, new Recorder());
        h.Selector.Add(Harness.Fd(700), Interest.Write, new Recorder());
        loop.RunOnce();
        Assert.Equal(701, cap.Nfds);
        Assert.True(cap.Read.IsSet(9));
        Assert.True(cap.Write.IsSet(700));
        Assert.False(cap.Read.IsSet(700));
        h.Selector.Remove(Harness.Fd(700));
        loop.RunOnce();
        Assert.Equal(10, cap.Nfds);
    }

    [Fact]
    public void With_no_timer_pending_select_waits_forever()
    {
        var h = new Harness();
        EventLoop loop = Loop(h);
        long seen = 0;
        h.Sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>())
            .Returns(ci => { seen = ci.ArgAt<long>(3); return 0; });
        loop.RunOnce();
        Assert.True(seen < 0, "an idle server must not wake up periodically");
    }

    [Fact]
    public void The_kernel_gets_fresh_copies_of_the_sets_every_call()
    {
        var h = new Harness();
        EventLoop loop = Loop(h);
        h.Selector.Add(Harness.Fd(8), Interest.Read, new Recorder());
        var given = new List<bool>();
        h.Sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(ci =>
        {
            given.Add(ci.ArgAt<LargeFdSet>(1).IsSet(8));
            return Harness.Ready(ci, [], []); // select clears what is not ready
        });
        loop.RunOnce();
        loop.RunOnce();
        Assert.Equal(new[] { true, true }, given);
    }

    [Fact]
    public void Ready_descriptors_in_both_sets_come_back_as_one_event()
    {
        var h = new Harness();
        var a = new Recorder(); var b = new Recorder(); var c = new Recorder();
        h.Selector.Add(Harness.Fd(5), Interest.ReadWrite, a);
        h.Selector.Add(Harness.Fd(64), Interest.Read, b);
        h.Selector.Add(Harness.Fd(1023), Interest.Write, c);
        h.Sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(ci =>
        {
            return Harness.Ready(ci, [5, 64], [5, 1023]);
        });
        var fired = new ReadyEvent[8];
        int n = h.Selector.Wait(-1, fired);
        Assert.Equal(3, n);
        Assert.Same(a, fired[0].Handler); Assert.True(fired[0].Readable && fired[0].Writable);
        Assert.Same(b, fired[1].Handler); Assert.True(fired[1].Readable && !fired[1].Writable);
        Assert.Same(c, fired[2].Handler); Assert.True(!fired[2].Readable && fired[2].Writable);
    }

    [Fact]
    public void Registration_refuses_descriptors_select_cannot_hold()
    {
        var h = new Harness();
        Assert.False(h.Selector.Add(Harness.Fd(1024), Interest.Read, new Recorder()));
        Assert.False(h.Selector.Add(SocketHandle.Invalid, Interest.Read, new Recorder()));
        Assert.True(h.Selector.Add(Harness.Fd(1023), Interest.Read, new Recorder()));
        Assert.Equal(1, h.Selector.Count);
    }

    [Fact]
    public void Idle_timer_closes_the_longest_idle_and_sets_the_select_timeout()
    {
        var h = new Harness();
        h.Cx.IdleTimeoutMs = 5000;
        h.Cx.Now = 100;
        TcpConnection c1 = h.Open(10);
        h.Cx.Now = 2000;
        TcpConnection c2 = h.Open(11);
        var t = new IdleTimer(h.Cx);
        Assert.Equal(5100, t.DueAt);
        t.OnTimer(5100);
        Assert.False(c1.IsOpen);
        Assert.True(c2.IsOpen);
        Assert.Equal(7000, t.DueAt);
        Assert.Equal(1, h.Counters.TcpClosedIdle);
    }

    [Fact]
    public void Handlers_see_the_time_after_the_wait_not_before_it()
    {
        var h = new Harness();
        var clock = new LoopClock();
        h.Api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>())
            .Returns(ci => { ci[0] = Harness.Fd(3); ci[1] = Harness.Fd(4); return 0; });
        var loop = new EventLoop(h.Api, h.Selector, h.Counters, new Log(LogLevel.Quiet, Stream.Null), clock);
        long seen = 0;
        var rec = new TimeRecorder(() => seen = clock.Now);
        h.Selector.Add(Harness.Fd(7), Interest.Read, rec);
        long afterWait = 0;
        h.Sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(ci =>
        {
            Thread.Sleep(30); // a wait that takes time, as a real one does
            afterWait = Environment.TickCount64;
            return Harness.Ready(ci, [7], []);
        });
        loop.RunOnce();
        Assert.True(seen >= afterWait, $"handler saw {seen}, the wait ended at {afterWait}");
    }

    private sealed class TimeRecorder(Action onReady) : IEventHandler
    {
        public void OnReady(bool readable, bool writable) => onReady();
    }
}
