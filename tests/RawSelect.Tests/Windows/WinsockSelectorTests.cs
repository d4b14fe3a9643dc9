using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Windows;

namespace RawSelect.Tests.Windows;

/// <summary>
/// The Winsock selector through its seam (IWinsockSelectApi, substituted): what it hands to
/// select, what it makes of what select hands back, and what it does where Winsock differs from
/// POSIX (a count limit, no nfds, no empty select). Runs on any OS.
/// </summary>
public class WinsockSelectorTests
{
    private readonly IWinsockSelectApi _sys = Substitute.For<IWinsockSelectApi>();
    private readonly WinsockSelector _sel;

    /// <summary>What select was last given: (read, write, timeout).</summary>
    private readonly List<(ulong[] Read, ulong[] Write, long Timeout)> _given = new();

    public WinsockSelectorTests() => _sel = new WinsockSelector(_sys);

    private static SocketHandle H(ulong value) => new((nuint)value);

    private static ulong[] Items(LargeFdSet s)
    {
        var a = new ulong[s.Count];
        for (int i = 0; i < a.Length; i++) a[i] = s[i];
        return a;
    }

    /// <summary>Each select call records what it was given, then returns these ready sets (or -errno).</summary>
    private void SelectReturns(params (ulong[] Read, ulong[] Write, int Result)[] answers)
    {
        var q = new Queue<(ulong[] Read, ulong[] Write, int Result)>(answers);
        _sys.Select(null!, null!, 0).ReturnsForAnyArgs(ci =>
        {
            LargeFdSet read = (LargeFdSet)ci[0], write = (LargeFdSet)ci[1];
            _given.Add((Items(read), Items(write), (long)ci[2]));
            (ulong[] rr, ulong[] ww, int result) = q.Count > 0 ? q.Dequeue() : ([], [], 0);
            if (result > 0)
            {
                // Winsock keeps only the ready handles, packed at the front, and counts each
                // socket once per set: it rewrites the sets in place.
                read.Zero();
                write.Zero();
                foreach (ulong h in rr) Assert.True(read.Add((nuint)h));
                foreach (ulong h in ww) Assert.True(write.Add((nuint)h));
            }
            return result;
        });
    }

    private static IEventHandler Handler() => Substitute.For<IEventHandler>();

    [Fact]
    public void The_limit_is_a_count_of_sockets_whatever_their_handle_values()
    {
        // Windows hands out handle values that are multiples of 4 and soon far above 1024; a
        // bitmap fd_set would refuse every one of these. A count-and-array set takes them all.
        for (int i = 0; i < FdSet.Size; i++)
            Assert.True(_sel.Add(H(0x10000 + 4UL * (ulong)i), Interest.Read, Handler()), $"socket {i} refused");
        Assert.Equal(FdSet.Size, _sel.Count);
        Assert.Equal(1024, _sel.Capacity);

        // Full: the next one is refused, whatever its value, small or large, and nothing changes.
        Assert.False(_sel.CanRegister(H(8)));
        Assert.False(_sel.Add(H(8), Interest.Read, Handler()));
        Assert.False(_sel.Add(H(0x7fff_0000), Interest.Read, Handler()));
        Assert.Equal(FdSet.Size, _sel.Count);

        // One leaves: one more fits.
        _sel.Remove(H(0x10000));
        Assert.True(_sel.CanRegister(H(8)));
        Assert.True(_sel.Add(H(8), Interest.Read, Handler()));
        Assert.False(_sel.CanRegister(H(12)));
    }

    [Fact]
    public void Invalid_handles_are_never_registered()
    {
        Assert.False(_sel.CanRegister(SocketHandle.Invalid));
        Assert.False(_sel.Add(SocketHandle.Invalid, Interest.Read, Handler()));
    }

    [Fact]
    public void There_is_no_nfds_any_handle_value_is_watched_and_fires()
    {
        // 64-bit handle values included: SOCKET is UINT_PTR. The seam has no nfds parameter at
        // all (Winsock ignores it; the implementation passes 0).
        IEventHandler small = Handler(), big = Handler(), huge = Handler();
        _sel.Add(H(4), Interest.Read, small);
        _sel.Add(H(1_000_000), Interest.Read, big);
        _sel.Add(H(0xFFFF_FFFF_0000), Interest.Read, huge);
        SelectReturns(([1_000_000, 0xFFFF_FFFF_0000], [], 2));

        var fired = new ReadyEvent[8];
        Assert.Equal(2, _sel.Wait(-1, fired));

        Assert.Equal(new ulong[] { 4, 1_000_000, 0xFFFF_FFFF_0000 }, _given[0].Read.Order());
        Assert.Same(big, fired[0].Handler);
        Assert.Same(huge, fired[1].Handler);
        Assert.True(fired[0].Readable && !fired[0].Writable);
    }

    [Fact]
    public void The_sets_given_to_select_follow_registration_modification_and_removal()
    {
        _sel.Add(H(100), Interest.Read, Handler());
        _sel.Add(H(200), Interest.Write, Handler());
        _sel.Add(H(300), Interest.ReadWrite, Handler());
        _sel.Add(H(400), Interest.None, Handler());
        SelectReturns();

        _sel.Wait(5000, new ReadyEvent[8]);
        Assert.Equal(new ulong[] { 100, 300 }, _given[0].Read.Order());
        Assert.Equal(new ulong[] { 200, 300 }, _given[0].Write.Order());
        Assert.Equal(5000, _given[0].Timeout);

        _sel.Modify(H(100), Interest.Write);
        _sel.Modify(H(400), Interest.Read);
        _sel.Remove(H(300));
        _sel.Wait(-1, new ReadyEvent[8]);
        Assert.Equal(new ulong[] { 400 }, _given[1].Read.Order());
        Assert.Equal(new ulong[] { 100, 200 }, _given[1].Write.Order());
        Assert.Equal(-1, _given[1].Timeout);
        Assert.Equal(3, _sel.Count);
        Assert.Equal(Interest.Write, _sel.InterestOf(H(100)));
    }

    [Fact]
    public void Ready_sets_become_one_event_per_socket_readable_and_writable_merged()
    {
        IEventHandler a = Handler(), b = Handler(), c = Handler();
        _sel.Add(H(0x104), Interest.Read, a);
        _sel.Add(H(0x108), Interest.Write, b);
        _sel.Add(H(0x10c), Interest.ReadWrite, c);
        // Winsock's count: c is ready in both sets, so 4.
        SelectReturns(([0x104, 0x10c], [0x108, 0x10c], 4));

        var fired = new ReadyEvent[8];
        int n = _sel.Wait(-1, fired);

        Assert.Equal(3, n);
        var byHandler = fired.Take(n).ToDictionary(e => e.Handler);
        Assert.True(byHandler[a] is { Readable: true, Writable: false });
        Assert.True(byHandler[b] is { Readable: false, Writable: true });
        Assert.True(byHandler[c] is { Readable: true, Writable: true });
    }

    [Fact]
    public void Select_gets_fresh_copies_of_the_interest_sets_every_call()
    {
        // Winsock rewrites the sets it is given to hold only the ready sockets. If the selector
        // handed over its interest sets themselves, the sockets that were not ready would be
        // forgotten after one call.
        _sel.Add(H(8), Interest.Read, Handler());
        _sel.Add(H(12), Interest.Read, Handler());
        _sel.Add(H(16), Interest.Read, Handler());
        SelectReturns(([12], [], 1), ([], [], 0));

        _sel.Wait(-1, new ReadyEvent[8]);
        _sel.Wait(-1, new ReadyEvent[8]);

        Assert.Equal(new ulong[] { 8, 12, 16 }, _given[1].Read.Order());
    }

    [Fact]
    public void With_every_set_empty_it_sleeps_instead_of_calling_select()
    {
        // Winsock fails select(0, {}, {}, NULL, &tv) with WSAEINVAL; POSIX sleeps. Nothing
        // registered, or registered with no interest: both are "every set empty".
        Assert.Equal(0, _sel.Wait(250_000, new ReadyEvent[4]));
        _sel.Add(H(40), Interest.None, Handler());
        Assert.Equal(0, _sel.Wait(1_000, new ReadyEvent[4]));

        _sys.DidNotReceiveWithAnyArgs().Select(null!, null!, default);
        Received.InOrder(() =>
        {
            _sys.Sleep(250_000);
            _sys.Sleep(1_000);
        });
    }

    [Fact]
    public void An_endless_wait_with_nothing_to_watch_sleeps_a_bounded_time()
    {
        Assert.Equal(0, _sel.Wait(-1, new ReadyEvent[4]));
        _sys.Received(1).Sleep(WinsockSelector.IdleSleepMicros);
    }

    [Theory]
    [InlineData(Errno.EINTR)]     // WSAEINTR: a blocking call cancelled
    [InlineData(Errno.ENOTSOCK)]  // WSAENOTSOCK: a closed socket left in a set
    [InlineData(Errno.EINVAL)]    // WSAEINVAL
    [InlineData(Errno.ENETDOWN)]  // WSAENETDOWN
    public void Select_errors_come_back_as_errno_with_no_events(int errno)
    {
        IEventHandler h = Handler();
        _sel.Add(H(4), Interest.Read, h);
        SelectReturns(([4], [], -errno));

        var fired = new ReadyEvent[4];
        Assert.Equal(-errno, _sel.Wait(-1, fired));
        Assert.Null(fired[0].Handler);
    }

    [Fact]
    public void The_error_mapping_is_the_seams_vocabulary()
    {
        // What the Winsock implementation of the seam turns WSAGetLastError's codes into before
        // the selector and the loop see them.
        Assert.Equal(Errno.EINTR, WinsockErrors.ToErrno(Ws2_32.WSAEINTR));
        Assert.Equal(Errno.ENOTSOCK, WinsockErrors.ToErrno(Ws2_32.WSAENOTSOCK));
        Assert.Equal(Errno.EINVAL, WinsockErrors.ToErrno(Ws2_32.WSAEINVAL));
    }

    [Fact]
    public void The_loop_retries_after_WSAEINTR_and_stops_on_WSAENOTSOCK()
    {
        // The real EventLoop on this selector: EINTR is counted and the loop goes round again;
        // anything else means the sets no longer describe reality, and the loop says so.
        ISocketApi api = Substitute.For<ISocketApi>();
        api.OpenWakePair(out _, out _).Returns(ci => { ci[0] = H(0x200); ci[1] = H(0x204); return 0; });
        api.ErrorText(Arg.Any<int>()).Returns(ci => WinsockErrors.Text(ci.Arg<int>()));
        var counters = new Counters();
        using var loop = new EventLoop(api, _sel, counters, new Log(LogLevel.Quiet, Stream.Null));
        SelectReturns(([], [], -WinsockErrors.ToErrno(Ws2_32.WSAEINTR)), ([], [], -WinsockErrors.ToErrno(Ws2_32.WSAENOTSOCK)));

        loop.RunOnce();
        Assert.Equal(1, counters.SelectEintr);

        var e = Assert.Throws<NativeException>(loop.RunOnce);
        Assert.Equal(Errno.ENOTSOCK, e.Errno);
        Assert.Contains("Socket operation on nonsocket", e.Message);
        // The wake-up socket was what select watched.
        Assert.Equal(new ulong[] { 0x200 }, _given[0].Read);
    }

    [Fact]
    public void The_wake_up_socket_wakes_the_loop()
    {
        ISocketApi api = Substitute.For<ISocketApi>();
        api.OpenWakePair(out _, out _).Returns(ci => { ci[0] = H(0x200); ci[1] = H(0x204); return 0; });
        var counters = new Counters();
        using var loop = new EventLoop(api, _sel, counters, new Log(LogLevel.Quiet, Stream.Null));
        SelectReturns(([0x200], [], 1));

        loop.RunOnce();

        api.Received(1).DrainWake(H(0x200));
        Assert.Equal(1, counters.Wakeups);
    }

    [Fact]
    public void No_more_events_than_the_span_holds()
    {
        for (ulong h = 1; h <= 10; h++) _sel.Add(H(h * 4), Interest.ReadWrite, Handler());
        SelectReturns(([4, 8, 12, 16, 20, 24, 28, 32, 36, 40], [4, 8, 12, 16, 20, 24, 28, 32, 36, 40], 20));
        var fired = new ReadyEvent[3];
        Assert.Equal(3, _sel.Wait(-1, fired));
        Assert.All(fired, e => Assert.True(e.Readable && e.Writable));
    }

    [Fact]
    public void Registering_twice_is_a_bug_and_says_so()
    {
        _sel.Add(H(4), Interest.Read, Handler());
        Assert.Throws<InvalidOperationException>(() => _sel.Add(H(4), Interest.Read, Handler()));
        Assert.Throws<InvalidOperationException>(() => _sel.Modify(H(8), Interest.Read));
        _sel.Remove(H(8)); // removing what is not there is harmless, as on Unix
        Assert.Equal(1, _sel.Count);
    }

    [Fact]
    public void Trace_prints_socket_handles_and_the_sleep()
    {
        var stream = new MemoryStream();
        var log = Log.Plain(LogLevel.Trace, stream);
        var sel = new WinsockSelector(_sys, log);
        sel.Wait(2_000, new ReadyEvent[4]);
        sel.Add(H(0x104), Interest.Read, Handler());
        sel.Add(H(0x108), Interest.Write, Handler());
        SelectReturns(([0x104], [], 1));
        sel.Wait(-1, new ReadyEvent[4]);

        Assert.True(log.Drain(System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency * 5));
        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Matches(@"trace: t=\d+ sleep \(every set empty: Winsock select would fail\) timeout=2\.000ms", text);
        Assert.Matches(@"trace: t=\d+ select sockets=2 read=\{260\} write=\{264\} timeout=inf -> 1 read=\{260\} write=\{\} waited=", text);
    }

    [Fact]
    public void Trace_shows_a_failed_select_as_minus_one_and_the_errno_name()
    {
        var stream = new MemoryStream();
        var sel = new WinsockSelector(_sys, new Log(LogLevel.Trace, stream));
        sel.Add(H(0x104), Interest.Read, Handler());
        SelectReturns(([], [], -Errno.EINTR)); // WSAEINTR, mapped by the seam
        Assert.Equal(-Errno.EINTR, sel.Wait(-1, new ReadyEvent[4]));
        string text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("trace: select sockets=1 read={260} write={} timeout=inf -> -1 EINTR waited=", text);
    }
}
