using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Windows;

namespace RawSelect.Tests.Windows;

/// <summary>
/// Winsock's fd_set with an array sized at start: the bytes Winsock reads are the fixed struct's
/// (fd_count, padding, SOCKETs from offset 8), only longer, and the selector built on it takes as
/// many sockets as it was sized for, not 1024.
/// </summary>
public unsafe class WinsockLargeFdSetTests
{
    [Fact]
    public void The_words_are_laid_out_as_the_fixed_fd_set()
    {
        var large = new LargeFdSet(5000);
        FdSet small = default;
        foreach (nuint h in new nuint[] { unchecked((nuint)0x1122_3344_5566_7788UL), 4, 8 })
        {
            Assert.True(large.Add(h));
            Assert.True(small.Add(h));
        }
        fixed (ulong* p = large.Raw)
            Assert.True(new ReadOnlySpan<byte>(p, 8 + 3 * 8).SequenceEqual(new ReadOnlySpan<byte>(&small, 8 + 3 * 8)));
    }

    [Fact]
    public void Holds_its_capacity_and_refuses_one_more()
    {
        var s = new LargeFdSet(3000);
        for (int i = 0; i < 3000; i++) Assert.True(s.Add((nuint)(0x10000 + 4 * i)));
        Assert.True(s.IsFull);
        Assert.False(s.Add(8));
        Assert.Equal(3000, s.Count);
        Assert.True(s.Remove(0x10000));
        Assert.Equal((nuint)(0x10000 + 4 * 2999), s[0]); // the last moved into the gap
        var copy = new LargeFdSet(3000);
        Assert.True(copy.CopyFrom(s));
        Assert.Equal(2999, copy.Count);
        Assert.False(new LargeFdSet(10).CopyFrom(s)); // never written past its array
    }

    [Fact]
    public void The_selector_takes_its_capacity_in_sockets_past_1024()
    {
        var sys = Substitute.For<IWinsockSelectApi>();
        var sel = new WinsockSelector(sys, capacity: 5000);
        Assert.Equal(5000, sel.Capacity);
        for (int i = 0; i < 5000; i++)
            Assert.True(sel.Add(new SocketHandle((nuint)(0x10000 + 4 * i)), Interest.Read, Substitute.For<IEventHandler>()), $"socket {i}");
        Assert.False(sel.CanRegister(new SocketHandle(8)));
        int given = 0;
        sys.Select(null!, null!, 0).ReturnsForAnyArgs(ci => { given = ((LargeFdSet)ci[0]).Count; return 0; });
        sel.Wait(0, new ReadyEvent[16]);
        Assert.Equal(5000, given);
    }
}
