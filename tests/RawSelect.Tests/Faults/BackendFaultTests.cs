using NSubstitute;
using RawSelect.Interop;

namespace RawSelect.Tests.Faults;

/// <summary>
/// The behaviour every selector backend shares, run against select, poll and epoll alike through
/// <see cref="SelectorRig"/>: EINTR, fatal errors, readiness dispatch, what the kernel is asked to
/// watch as interest changes, limits at registration, errors and hangups.
/// </summary>
public class BackendFaultTests
{
    private const int WakeFd = 3;

    private sealed class Recorder : IEventHandler
    {
        public List<(bool R, bool W)> Events { get; } = new();
        public void OnReady(bool readable, bool writable) => Events.Add((readable, writable));
    }

    private sealed class Timer(long dueAt) : ITimer
    {
        public long DueAt { get; set; } = dueAt;
        public void OnTimer(long now) => DueAt = long.MaxValue;
    }

    private static (SelectorRig Rig, EventLoop Loop, Counters Counters) Start(string backend)
    {
        SelectorRig rig = SelectorRig.For(backend);
        ISocketApi api = Substitute.For<ISocketApi>();
        api.ErrorText(Arg.Any<int>()).Returns("text");
        api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>())
            .Returns(ci => { ci[0] = SocketHandle.FromFd(WakeFd); ci[1] = SocketHandle.FromFd(WakeFd + 1); return 0; });
        var counters = new Counters();
        var loop = new EventLoop(api, rig.Selector, counters, new Log(LogLevel.Quiet, Stream.Null));
        return (rig, loop, counters);
    }

    private static SocketHandle Fd(int fd) => SocketHandle.FromFd(fd);

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void EINTR_is_retried_and_counted_and_the_next_wait_dispatches(string backend)
    {
        (SelectorRig rig, EventLoop loop, Counters counters) = Start(backend);
        var rec = new Recorder();
        rig.Selector.Add(Fd(7), Interest.Read, rec);
        rig.NextFails(Errno.EINTR);
        rig.Next(new Ready(7, Read: true));

        loop.RunOnce();
        Assert.Empty(rec.Events);
        Assert.Equal(1, counters.SelectEintr);
        loop.RunOnce();
        Assert.Equal([(true, false)], rec.Events);
        Assert.Equal(2, counters.SelectCalls);
    }

    [Theory]
    [InlineData("select", "select")]
    [InlineData("poll", "poll")]
    [InlineData("epoll", "epoll_wait")]
    public void Other_wait_errors_stop_the_loop_naming_the_call_and_errno(string backend, string call)
    {
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        rig.NextFails(Errno.EINVAL);
        var e = Assert.Throws<NativeException>(loop.RunOnce);
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Equal(call, e.Operation);
        Assert.StartsWith($"{call}: EINVAL", e.Message);
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void Ready_in_both_directions_is_one_event_and_each_handler_gets_its_own(string backend)
    {
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        var a = new Recorder(); var b = new Recorder(); var c = new Recorder(); var idle = new Recorder();
        rig.Selector.Add(Fd(5), Interest.ReadWrite, a);
        rig.Selector.Add(Fd(64), Interest.Read, b);
        rig.Selector.Add(Fd(1023), Interest.Write, c);
        rig.Selector.Add(Fd(200), Interest.ReadWrite, idle);
        rig.Next(new Ready(5, Read: true, Write: true), new Ready(64, Read: true, Write: true), new Ready(1023, Write: true));

        loop.RunOnce();

        Assert.Equal([(true, true)], a.Events);
        Assert.Equal([(true, false)], b.Events); // writable too, but nobody asked
        Assert.Equal([(false, true)], c.Events);
        Assert.Empty(idle.Events);
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void The_kernel_watches_exactly_what_is_registered_as_interest_changes(string backend)
    {
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        ISelector s = rig.Selector;
        s.Add(Fd(9), Interest.Read, new Recorder());
        s.Add(Fd(700), Interest.Write, new Recorder());
        s.Add(Fd(12), Interest.None, new Recorder());
        loop.RunOnce();
        AssertWatched(rig, (9, Interest.Read), (700, Interest.Write));

        s.Modify(Fd(9), Interest.ReadWrite);
        s.Modify(Fd(12), Interest.Read);
        s.Modify(Fd(700), Interest.None); // backpressure's opposite: a paused listener
        loop.RunOnce();
        AssertWatched(rig, (9, Interest.ReadWrite), (12, Interest.Read));

        s.Modify(Fd(700), Interest.Read);
        s.Remove(Fd(9));
        loop.RunOnce();
        AssertWatched(rig, (12, Interest.Read), (700, Interest.Read));
        Assert.Equal(3, s.Count); // wake pipe, 12, 700 (12 registered with no interest still counted)
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void Removing_the_highest_descriptor_stops_watching_it_and_keeps_the_others_served(string backend)
    {
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        var low = new Recorder(); var mid = new Recorder();
        rig.Selector.Add(Fd(10), Interest.Read, low);
        rig.Selector.Add(Fd(500), Interest.Read, mid);
        rig.Selector.Add(Fd(1000), Interest.Read, new Recorder());
        rig.Selector.Remove(Fd(1000));
        rig.Selector.Remove(Fd(1000)); // twice: harmless, as for a listener closed at shutdown and again on dispose
        rig.Next(new Ready(10, Read: true), new Ready(500, Read: true), new Ready(1000, Read: true));

        loop.RunOnce();

        AssertWatched(rig, (10, Interest.Read), (500, Interest.Read));
        Assert.Equal([(true, false)], low.Events);
        Assert.Equal([(true, false)], mid.Events);
        // The number can be registered again, by a new handler, and only it hears about it.
        var again = new Recorder();
        Assert.True(rig.Selector.Add(Fd(1000), Interest.Write, again));
        rig.Next(new Ready(1000, Write: true));
        loop.RunOnce();
        Assert.Equal([(false, true)], again.Events);
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void Registration_refuses_what_the_backend_cannot_hold_and_changes_nothing(string backend)
    {
        SelectorRig rig = SelectorRig.For(backend);
        ISelector s = rig.Selector;
        Assert.Equal(SelectorRig.Capacity, s.Capacity);
        Assert.False(s.CanRegister(Fd(SelectorRig.Capacity)));
        Assert.False(s.Add(Fd(SelectorRig.Capacity), Interest.Read, new Recorder()));
        Assert.False(s.Add(SocketHandle.Invalid, Interest.Read, new Recorder()));
        Assert.Equal(0, s.Count);
        Assert.True(s.CanRegister(Fd(SelectorRig.Capacity - 1)));
        Assert.True(s.Add(Fd(SelectorRig.Capacity - 1), Interest.Read, new Recorder()));
        Assert.Equal(1, s.Count);
        Assert.Throws<InvalidOperationException>(() => s.Add(Fd(SelectorRig.Capacity - 1), Interest.Read, new Recorder()));
        Assert.Throws<InvalidOperationException>(() => s.Modify(Fd(8), Interest.Read));
        Assert.Equal(1, s.Count);
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void With_no_timer_the_wait_is_unbounded_and_a_timer_bounds_it(string backend)
    {
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        loop.RunOnce();
        Assert.Equal(-1, rig.LastTimeoutMicros);

        var timer = new Timer(loop.Clock.Update() + 5);
        loop.AddTimer(timer);
        loop.RunOnce();
        Assert.InRange(rig.LastTimeoutMicros, 0, 5000);
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void An_error_or_hangup_reaches_the_handler_as_readiness_for_what_it_asked(string backend)
    {
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        var both = new Recorder(); var reader = new Recorder(); var writer = new Recorder(); var hungUp = new Recorder();
        rig.Selector.Add(Fd(7), Interest.ReadWrite, both);   // a reset connection with echo pending
        rig.Selector.Add(Fd(8), Interest.Read, reader);      // a reset connection, nothing pending
        rig.Selector.Add(Fd(9), Interest.Write, writer);     // backpressure: only the write side watched
        rig.Selector.Add(Fd(10), Interest.Read, hungUp);     // the peer is gone: EOF to read
        rig.Next(new Ready(7, Error: true, Hangup: true), new Ready(8, Error: true, Hangup: true),
                 new Ready(9, Error: true), new Ready(10, Hangup: true));

        loop.RunOnce();

        Assert.Equal([(true, true)], both.Events);
        Assert.Equal([(true, false)], reader.Events);
        Assert.Equal([(false, true)], writer.Events);
        Assert.Equal([(true, false)], hungUp.Events);
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void A_descriptor_with_no_interest_hears_nothing_even_of_a_hangup(string backend)
    {
        // poll and epoll report POLLHUP/POLLERR whatever events ask: a level-triggered report
        // nobody acts on would spin the loop. select never reports what is not in its sets.
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        var paused = new Recorder();
        rig.Selector.Add(Fd(6), Interest.Read, paused);
        rig.Selector.Modify(Fd(6), Interest.None);
        rig.Next(new Ready(6, Error: true, Hangup: true));
        loop.RunOnce();
        Assert.Empty(paused.Events);
        Assert.False(rig.Watched.ContainsKey(6));

        rig.Selector.Modify(Fd(6), Interest.Read); // resumed: heard again
        rig.Next(new Ready(6, Read: true, Hangup: true));
        loop.RunOnce();
        Assert.Equal([(true, false)], paused.Events);
    }

    [Theory]
    [MemberData(nameof(SelectorRig.Backends), MemberType = typeof(SelectorRig))]
    public void Many_ready_at_once_are_all_dispatched_in_one_iteration(string backend)
    {
        // The loop's fired list follows the registrations (not the capacity, a million for poll
        // and epoll with a high limit): 300 ready descriptors in one wait all reach their handlers.
        (SelectorRig rig, EventLoop loop, _) = Start(backend);
        var recs = new List<Recorder>();
        for (int fd = 10; fd < 310; fd++)
        {
            var r = new Recorder();
            recs.Add(r);
            rig.Selector.Add(Fd(fd), Interest.Read, r);
        }
        rig.Next(Enumerable.Range(10, 300).Select(fd => new Ready(fd, Read: true)).ToArray());
        loop.RunOnce();
        Assert.All(recs, r => Assert.Equal([(true, false)], r.Events));
    }

    private static void AssertWatched(SelectorRig rig, params (int Fd, Interest Interest)[] expected)
    {
        var want = expected.Append((WakeFd, Interest.Read)).OrderBy(e => e.Item1).ToList();
        var got = rig.Watched.Select(kv => (kv.Key, kv.Value)).OrderBy(e => e.Key).ToList();
        Assert.Equal(want, got);
    }
}
