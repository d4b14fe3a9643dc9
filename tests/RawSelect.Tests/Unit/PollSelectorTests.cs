using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Unit;

/// <summary>
/// The poll backend's own bookkeeping: the dense pollfd array with swap-remove, the index each
/// descriptor keeps, growth with need, revents mapping, and its trace line.
/// </summary>
public class PollSelectorTests
{
    private sealed class Handler(int fd) : IEventHandler
    {
        public int Fd { get; } = fd;
        public List<(bool R, bool W)> Events { get; } = new();
        public void OnReady(bool readable, bool writable) => Events.Add((readable, writable));
    }

    private readonly IPollApi _sys = Substitute.For<IPollApi>();
    private PollFd[] _given = [];

    public PollSelectorTests()
    {
        _sys.Poll(Arg.Any<PollFd[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            _given = ci.ArgAt<PollFd[]>(0)[..ci.ArgAt<int>(1)];
            return 0;
        });
    }

    private static SocketHandle Fd(int fd) => SocketHandle.FromFd(fd);

    private Dictionary<int, short> Given(PollSelector s)
    {
        s.Wait(0, new ReadyEvent[s.MaxEvents]);
        var d = new Dictionary<int, short>();
        foreach (PollFd p in _given)
        {
            Assert.True(d.TryAdd(p.fd, p.events), $"descriptor {p.fd} has two entries");
            Assert.NotEqual(0, p.events);
        }
        return d;
    }

    [Fact]
    public void Swap_remove_keeps_the_array_dense_and_every_index_right()
    {
        // A model check: random adds, interest changes and removals over 300 descriptors; after
        // each step the entries given to poll are exactly the descriptors with interest, once
        // each; and a readiness on any entry reaches that descriptor's own handler.
        var s = new PollSelector(_sys, 4096);
        var model = new Dictionary<int, Interest>();
        var handlers = new Dictionary<int, Handler>();
        var rnd = new Random(9);
        for (int step = 0; step < 3000; step++)
        {
            int fd = rnd.Next(3, 303);
            Interest want = (Interest)rnd.Next(0, 4);
            if (!model.ContainsKey(fd))
            {
                var h = new Handler(fd);
                Assert.True(s.Add(Fd(fd), want, h));
                model[fd] = want;
                handlers[fd] = h;
            }
            else if (rnd.Next(3) == 0)
            {
                s.Remove(Fd(fd));
                model.Remove(fd);
                handlers.Remove(fd);
            }
            else
            {
                s.Modify(Fd(fd), want);
                model[fd] = want;
            }
            Assert.Equal(model.Count, s.Count);
            Assert.Equal(model.Count(kv => kv.Value != Interest.None), s.Entries);
        }

        Dictionary<int, short> given = Given(s);
        var expected = model.Where(kv => kv.Value != Interest.None).ToDictionary(kv => kv.Key,
            kv => (short)(((kv.Value & Interest.Read) != 0 ? Libc.POLLIN : 0) | ((kv.Value & Interest.Write) != 0 ? Libc.POLLOUT : 0)));
        Assert.Equal(expected.OrderBy(kv => kv.Key), given.OrderBy(kv => kv.Key));

        // Every entry readable and writable: each handler hears exactly its own interest.
        _sys.Poll(Arg.Any<PollFd[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            PollFd[] fds = ci.ArgAt<PollFd[]>(0);
            int n = ci.ArgAt<int>(1);
            for (int i = 0; i < n; i++) fds[i].revents = fds[i].events;
            return n;
        });
        var fired = new ReadyEvent[s.MaxEvents];
        int count = s.Wait(-1, fired);
        Assert.Equal(expected.Count, count);
        for (int i = 0; i < count; i++) fired[i].Handler.OnReady(fired[i].Readable, fired[i].Writable);
        foreach ((int fd, Interest i) in model)
        {
            if (i == Interest.None) Assert.Empty(handlers[fd].Events);
            else Assert.Equal([((i & Interest.Read) != 0, (i & Interest.Write) != 0)], handlers[fd].Events);
        }
    }

    [Fact]
    public void Removing_the_first_entry_moves_the_last_into_its_place()
    {
        var s = new PollSelector(_sys, 1024);
        s.Add(Fd(10), Interest.Read, new Handler(10));
        s.Add(Fd(11), Interest.Write, new Handler(11));
        s.Add(Fd(12), Interest.ReadWrite, new Handler(12));
        s.Remove(Fd(10));
        Given(s);
        Assert.Equal([12, 11], _given.Select(p => p.fd));
        // 12 now sits where 10 was: changing it must change that entry, not a stale one.
        s.Modify(Fd(12), Interest.Write);
        s.Remove(Fd(11));
        Given(s);
        Assert.Equal([(12, (short)Libc.POLLOUT)], _given.Select(p => (p.fd, p.events)));
    }

    [Fact]
    public void Tables_grow_with_the_descriptors_used_not_with_the_capacity()
    {
        var s = new PollSelector(_sys, 1 << 20);
        s.Add(Fd(5), Interest.Read, new Handler(5));
        Assert.InRange(s.TableSize, 6, 64);
        Assert.Equal(64, s.MaxEvents);
        for (int fd = 100; fd < 300; fd++) s.Add(Fd(fd), Interest.Read, new Handler(fd));
        Assert.InRange(s.TableSize, 300, 1024);
        Assert.InRange(s.MaxEvents, 201, 512);
        s.Add(Fd(70_000), Interest.Write, new Handler(70_000));
        Assert.InRange(s.TableSize, 70_001, 1 << 20);
        Assert.Equal(202, Given(s).Count);
        Assert.False(s.Add(Fd(1 << 20), Interest.Read, new Handler(0)));
    }

    [Fact]
    public void Revents_map_to_what_select_would_report_and_nval_fails_the_call()
    {
        var s = new PollSelector(_sys, 1024);
        var r = new Handler(4); var w = new Handler(5); var rw = new Handler(6); var pri = new Handler(7);
        s.Add(Fd(4), Interest.Read, r);
        s.Add(Fd(5), Interest.Write, w);
        s.Add(Fd(6), Interest.ReadWrite, rw);
        s.Add(Fd(7), Interest.Read, pri);
        short[] answer = [Libc.POLLHUP, Libc.POLLERR, Libc.POLLERR | Libc.POLLHUP | Libc.POLLIN, Libc.POLLPRI];
        _sys.Poll(Arg.Any<PollFd[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            PollFd[] fds = ci.ArgAt<PollFd[]>(0);
            for (int i = 0; i < 4; i++) fds[i].revents = answer[fds[i].fd - 4];
            return 4;
        });
        var fired = new ReadyEvent[8];
        int n = s.Wait(-1, fired);
        Assert.Equal(3, n); // POLLPRI alone was never asked for: nothing to dispatch
        Assert.Equal((r, true, false), (fired[0].Handler, fired[0].Readable, fired[0].Writable));
        Assert.Equal((w, false, true), (fired[1].Handler, fired[1].Readable, fired[1].Writable));
        Assert.Equal((rw, true, true), (fired[2].Handler, fired[2].Readable, fired[2].Writable));

        answer[1] = Libc.POLLNVAL; // a registered descriptor that is not open: select says EBADF
        Assert.Equal(-Errno.EBADF, s.Wait(-1, fired));
    }

    [Theory]
    [InlineData(-1L, -1)]
    [InlineData(0L, 0)]
    [InlineData(1L, 1)]
    [InlineData(1000L, 1)]
    [InlineData(1001L, 2)]
    [InlineData(5_000_000L, 5000)]
    [InlineData(long.MaxValue / 2, int.MaxValue)]
    public void The_timeout_is_rounded_up_to_whole_milliseconds(long micros, int ms)
    {
        var s = new PollSelector(_sys, 1024);
        s.Wait(micros, new ReadyEvent[1]);
        _sys.Received(1).Poll(Arg.Any<PollFd[]>(), 0, ms);
    }

    [Fact]
    public void Trace_shows_the_entries_given_and_the_revents_returned()
    {
        var stream = new MemoryStream();
        var log = Log.Plain(LogLevel.Trace, stream);
        var s = new PollSelector(_sys, 1024, log);
        s.Add(Fd(3), Interest.Read, new Handler(3));
        s.Add(Fd(4), Interest.Read, new Handler(4));
        s.Add(Fd(5), Interest.ReadWrite, new Handler(5));
        int call = 0;
        _sys.Poll(Arg.Any<PollFd[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            PollFd[] fds = ci.ArgAt<PollFd[]>(0);
            switch (call++)
            {
                case 0:
                    fds[2].revents = Libc.POLLIN | Libc.POLLHUP;
                    return 1;
                case 1: return -Errno.EINTR;
                default: return 0;
            }
        });
        s.Wait(-1, new ReadyEvent[8]);
        s.Wait(2500, new ReadyEvent[8]);
        s.Wait(0, new ReadyEvent[8]);
        Assert.True(log.Drain(System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency * 5));
        string[] lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"trace: (t=\d+ )?poll nfds=3 fds=\{3:in,4:in,5:in\+out\} timeout=inf -> 1 revents=\{5:in\+hup\} waited=\d+\.\d{3}ms$", lines[0]);
        Assert.Matches(@"trace: (t=\d+ )?poll nfds=3 fds=\{3:in,4:in,5:in\+out\} timeout=3\.000ms -> -1 EINTR waited=\d+\.\d{3}ms$", lines[1]);
        Assert.Matches(@"trace: (t=\d+ )?poll nfds=3 fds=\{3:in,4:in,5:in\+out\} timeout=0\.000ms -> 0 waited=\d+\.\d{3}ms$", lines[2]);
    }
}
