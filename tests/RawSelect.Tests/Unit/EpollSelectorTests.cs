using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Unit;

/// <summary>
/// The epoll backend's own bookkeeping: which epoll_ctl each change makes, refusals at
/// registration, failures, the epoll descriptor's life, event mapping, and its trace lines.
/// </summary>
public class EpollSelectorTests
{
    private const int Epfd = 77;

    private sealed class Handler : IEventHandler
    {
        public void OnReady(bool readable, bool writable) { }
    }

    private readonly IEpollApi _sys = Substitute.For<IEpollApi>();
    private readonly List<string> _ctl = new();

    public EpollSelectorTests()
    {
        _sys.Create().Returns(Epfd);
        _sys.Control(Epfd, Arg.Any<int>(), Arg.Any<int>(), Arg.Any<uint>()).Returns(ci =>
        {
            string op = ci.ArgAt<int>(1) switch { Libc.EPOLL_CTL_ADD => "ADD", Libc.EPOLL_CTL_MOD => "MOD", Libc.EPOLL_CTL_DEL => "DEL", _ => "?" };
            _ctl.Add(ci.ArgAt<int>(1) == Libc.EPOLL_CTL_DEL ? $"{op} {ci.ArgAt<int>(2)}" : $"{op} {ci.ArgAt<int>(2)} {ci.ArgAt<uint>(3)}");
            return 0;
        });
    }

    private static SocketHandle Fd(int fd) => SocketHandle.FromFd(fd);

    [Fact]
    public void Each_change_of_interest_is_one_epoll_ctl_and_no_interest_leaves_the_list()
    {
        var s = new EpollSelector(_sys, 1024);
        s.Add(Fd(5), Interest.Read, new Handler());          // ADD in
        s.Modify(Fd(5), Interest.Read);                      // unchanged: no call
        s.Modify(Fd(5), Interest.ReadWrite);                 // MOD in+out
        s.Modify(Fd(5), Interest.None);                      // DEL: HUP/ERR cannot be masked
        s.Modify(Fd(5), Interest.Write);                     // ADD out
        s.Add(Fd(6), Interest.None, new Handler());          // nothing
        s.Remove(Fd(6));                                     // nothing: never in the list
        s.Remove(Fd(5));                                     // DEL
        s.Remove(Fd(5));                                     // nothing: gone already
        Assert.Equal(["ADD 5 1", "MOD 5 5", "DEL 5", "ADD 5 4", "DEL 5"], _ctl);
        Assert.Equal(0, s.Count);
    }

    [Fact]
    public void A_kernel_refusal_at_registration_is_a_refusal_and_leaves_nothing_registered()
    {
        var s = new EpollSelector(_sys, 1024);
        _sys.Control(Epfd, Libc.EPOLL_CTL_ADD, 9, Arg.Any<uint>()).Returns(-Errno.ENOSPC);
        Assert.False(s.Add(Fd(9), Interest.Read, new Handler()));
        Assert.Throws<InvalidOperationException>(() => s.Modify(Fd(9), Interest.Read));
        _sys.Control(Epfd, Libc.EPOLL_CTL_ADD, 9, Arg.Any<uint>()).Returns(0);
        Assert.True(s.Add(Fd(9), Interest.Read, new Handler()));
        Assert.Equal(1, s.Count);
    }

    [Fact]
    public void A_failed_change_of_interest_stops_the_server_with_the_reason()
    {
        var s = new EpollSelector(_sys, 1024);
        s.Add(Fd(5), Interest.Read, new Handler());
        _sys.Control(Epfd, Libc.EPOLL_CTL_MOD, 5, Arg.Any<uint>()).Returns(-Errno.ENOMEM);
        var e = Assert.Throws<NativeException>(() => s.Modify(Fd(5), Interest.ReadWrite));
        Assert.Equal("epoll_ctl", e.Operation);
        Assert.Equal(Errno.ENOMEM, e.Errno);
    }

    [Fact]
    public void The_epoll_descriptor_is_created_once_and_closed_once()
    {
        var s = new EpollSelector(_sys, 1024);
        Assert.Equal(Epfd, s.EpollFd);
        s.Dispose();
        s.Dispose();
        _sys.Received(1).Create();
        _sys.Received(1).Close(Epfd);

        _sys.Create().Returns(-Errno.EMFILE);
        var e = Assert.Throws<NativeException>(() => new EpollSelector(_sys, 1024));
        Assert.Equal("epoll_create1", e.Operation);
        Assert.Equal(Errno.EMFILE, e.Errno);
    }

    [Fact]
    public void Waits_into_the_fixed_array_never_more_than_the_loop_can_take_and_skips_strangers()
    {
        var s = new EpollSelector(_sys, 1024, maxEvents: 16);
        var a = new Handler();
        s.Add(Fd(5), Interest.ReadWrite, a);
        s.Add(Fd(6), Interest.Read, new Handler());
        int max = 0;
        _sys.Wait(Epfd, Arg.Any<EpollReady[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            max = ci.ArgAt<int>(2);
            EpollReady[] r = ci.ArgAt<EpollReady[]>(1);
            r[0] = new EpollReady { Fd = 500, Events = Libc.EPOLLIN };                     // not ours (any more)
            r[1] = new EpollReady { Fd = 5, Events = Libc.EPOLLERR | Libc.EPOLLHUP };       // reset
            r[2] = new EpollReady { Fd = 6, Events = Libc.EPOLLOUT };                        // not asked
            return 3;
        });
        var fired = new ReadyEvent[4];
        int n = s.Wait(-1, fired);
        Assert.Equal(4, max); // the loop's fired list is shorter than the event array: never overrun it
        Assert.Equal(1, n);
        Assert.Equal((a, true, true), (fired[0].Handler, fired[0].Readable, fired[0].Writable));
        s.Wait(-1, new ReadyEvent[64]);
        Assert.Equal(16, max);
        Assert.Equal(16, s.MaxEvents);
    }

    [Fact]
    public void Tables_grow_with_the_descriptors_used_not_with_the_capacity()
    {
        var s = new EpollSelector(_sys, 1 << 20);
        s.Add(Fd(5), Interest.Read, new Handler());
        Assert.InRange(s.TableSize, 6, 64);
        s.Add(Fd(70_000), Interest.Read, new Handler());
        Assert.InRange(s.TableSize, 70_001, 1 << 20);
        Assert.Equal(EpollSelector.DefaultMaxEvents, s.MaxEvents);
    }

    [Fact]
    public void Trace_shows_each_epoll_ctl_and_each_wait_with_its_events()
    {
        var stream = new MemoryStream();
        var log = Log.Plain(LogLevel.Trace, stream);
        var s = new EpollSelector(_sys, 1024, log, maxEvents: 256);
        s.Add(Fd(5), Interest.Read, new Handler());
        s.Add(Fd(7), Interest.ReadWrite, new Handler());
        s.Modify(Fd(5), Interest.ReadWrite);
        s.Modify(Fd(7), Interest.None);
        s.Modify(Fd(7), Interest.Write);
        _sys.Control(Epfd, Libc.EPOLL_CTL_ADD, 8, Arg.Any<uint>()).Returns(-Errno.ENOSPC);
        s.Add(Fd(8), Interest.Read, new Handler());
        int call = 0;
        _sys.Wait(Epfd, Arg.Any<EpollReady[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            EpollReady[] r = ci.ArgAt<EpollReady[]>(1);
            switch (call++)
            {
                case 0:
                    r[0] = new EpollReady { Fd = 5, Events = Libc.EPOLLIN };
                    r[1] = new EpollReady { Fd = 7, Events = Libc.EPOLLOUT | Libc.EPOLLHUP };
                    return 2;
                case 1: return -Errno.EINTR;
                default: return 0;
            }
        });
        s.Wait(-1, new ReadyEvent[256]);
        s.Wait(1, new ReadyEvent[256]);
        s.Wait(0, new ReadyEvent[256]);
        s.Remove(Fd(5));
        Assert.True(log.Drain(System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency * 5));
        string[] lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] expected =
        [
            @"epoll_ctl ADD fd=5 events=in",
            @"epoll_ctl ADD fd=7 events=in\+out",
            @"epoll_ctl MOD fd=5 events=in\+out",
            @"epoll_ctl DEL fd=7",
            @"epoll_ctl ADD fd=7 events=out",
            @"epoll_ctl ADD fd=8 events=in -> -1 ENOSPC",
            @"epoll_wait maxevents=256 timeout=inf -> 2 events=\{5:in,7:out\+hup\} waited=\d+\.\d{3}ms",
            @"epoll_wait maxevents=256 timeout=1\.000ms -> -1 EINTR waited=\d+\.\d{3}ms",
            @"epoll_wait maxevents=256 timeout=0\.000ms -> 0 waited=\d+\.\d{3}ms",
            @"epoll_ctl DEL fd=5",
        ];
        Assert.Equal(expected.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++) Assert.Matches("trace: (t=\\d+ )?" + expected[i] + "$", lines[i]);
    }
}
