using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Tests.Faults;

namespace RawSelect.Tests.Unit;

/// <summary>
/// The select backend past FD_SETSIZE: the cap is the capacity it was built with, its tables
/// grow with the highest registered descriptor and nothing else, nfds may exceed 1024, and the
/// loop's fired list follows the registrations, not the capacity.
/// </summary>
public class SelectorGrowthTests
{
    private sealed class Nop : IEventHandler
    {
        public void OnReady(bool readable, bool writable) { }
    }

    [Fact]
    public void The_default_capacity_is_glibcs_FD_SETSIZE()
    {
        var sel = new SelectSelector(Substitute.For<ISelectApi>());
        Assert.Equal(1024, sel.Capacity);
        Assert.True(sel.CanRegister(SocketHandle.FromFd(1023)));
        Assert.False(sel.CanRegister(SocketHandle.FromFd(1024)));
        Assert.False(sel.Add(SocketHandle.FromFd(1024), Interest.Read, new Nop()));
    }

    [Fact]
    public void With_a_large_capacity_descriptors_past_1024_register_and_the_cap_still_holds()
    {
        var sel = new SelectSelector(Substitute.For<ISelectApi>(), capacity: 20_000);
        Assert.True(sel.Add(SocketHandle.FromFd(1024), Interest.Read, new Nop()));
        Assert.True(sel.Add(SocketHandle.FromFd(19_999), Interest.Read, new Nop()));
        Assert.False(sel.CanRegister(SocketHandle.FromFd(20_000)));
        Assert.False(sel.Add(SocketHandle.FromFd(20_000), Interest.Read, new Nop()));
        Assert.Equal(2, sel.Count);
        Assert.Equal(19_999, sel.MaxFd);
    }

    [Fact]
    public void Tables_grow_with_the_highest_descriptor_not_with_the_capacity()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sel = new SelectSelector(Substitute.For<ISelectApi>(), capacity: 1 << 20);
        long cost = GC.GetAllocatedBytesForCurrentThread() - before;
        // A million-descriptor capacity costs what 1024 did: 4 sets of 128 bytes and 1024 handler slots.
        Assert.True(cost < 16 * 1024, $"an idle selector with capacity 2^20 allocated {cost} bytes");
        Assert.Equal(1024, sel.TableSize);
        Assert.Equal(16, sel.AllocatedWords);

        sel.Add(SocketHandle.FromFd(5000), Interest.Read, new Nop());
        Assert.Equal(8192, sel.TableSize);
        sel.Wait(0, new ReadyEvent[4]);
        Assert.Equal(128, sel.AllocatedWords); // the ready sets caught up with nfds = 5001
    }

    [Fact]
    public void Select_is_given_nfds_past_1024_and_sets_holding_every_word_below_it()
    {
        var sys = Substitute.For<ISelectApi>();
        var sel = new SelectSelector(sys, capacity: 20_000);
        var a = new Nop(); var b = new Nop();
        sel.Add(SocketHandle.FromFd(7), Interest.Read, a);
        sel.Add(SocketHandle.FromFd(12_345), Interest.ReadWrite, b);
        int nfds = 0, readWords = 0;
        bool sawHigh = false;
        sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(ci =>
        {
            nfds = ci.ArgAt<int>(0);
            readWords = ci.ArgAt<LargeFdSet>(1).AllocatedWords;
            sawHigh = ci.ArgAt<LargeFdSet>(1).IsSet(12_345) && ci.ArgAt<LargeFdSet>(2).IsSet(12_345);
            return Harness.Ready(ci, [12_345], [12_345]);
        });
        var fired = new ReadyEvent[4];
        Assert.Equal(1, sel.Wait(-1, fired));
        Assert.Equal(12_346, nfds);
        Assert.True(readWords >= (12_346 + 63) / 64);
        Assert.True(sawHigh);
        Assert.Same(b, fired[0].Handler);
        Assert.True(fired[0].Readable && fired[0].Writable);
    }

    [Fact]
    public void The_loops_fired_list_follows_the_registrations_not_the_capacity()
    {
        var api = Substitute.For<ISocketApi>();
        api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>())
            .Returns(ci => { ci[0] = SocketHandle.FromFd(3); ci[1] = SocketHandle.FromFd(4); return 0; });
        var sys = Substitute.For<ISelectApi>();
        var sel = new SelectSelector(sys, capacity: 1 << 20);
        using var loop = new EventLoop(api, sel, new Counters(), new Log(LogLevel.Quiet, Stream.Null));
        Assert.True(loop.FiredCapacity <= 64, $"fired list of {loop.FiredCapacity} for one registration");

        var ready = new List<int>();
        for (int fd = 10; fd < 310; fd++) { sel.Add(SocketHandle.FromFd(fd), Interest.Read, new Nop()); ready.Add(fd); }
        sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>())
            .Returns(ci => Harness.Ready(ci, ready.ToArray(), []));
        loop.RunOnce();
        Assert.InRange(loop.FiredCapacity, 301, 1024);

        // Steady state: no growth, no allocation per event once the list is big enough.
        int size = loop.FiredCapacity;
        int[] readyArray = ready.ToArray();
        sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>())
            .Returns(ci => Harness.Ready(ci, readyArray, []));
        loop.RunOnce();
        Assert.Equal(size, loop.FiredCapacity);
    }
}
