using RawSelect.Interop.Windows;

namespace RawSelect.Tests.Windows;

/// <summary>Winsock's fd_set: a count and an array, so membership is about how many, not which values.</summary>
public unsafe class WinsockFdSetTests
{
    [Fact]
    public void Add_appends_at_fd_count_as_FD_SET_does()
    {
        FdSet s = default;
        Assert.True(s.Add(unchecked((nuint)0x1122_3344_5566_7788UL)));
        Assert.True(s.Add(4));
        byte* p = (byte*)&s;
        Assert.Equal(2u, *(uint*)p);                            // fd_count
        Assert.Equal(0x1122_3344_5566_7788UL, *(ulong*)(p + 8)); // fd_array[0], after the padding
        Assert.Equal(4UL, *(ulong*)(p + 16));                    // fd_array[1]
        Assert.Equal((nuint)4, s[1]);
        Assert.True(s.Contains(4));
        Assert.Equal(1, s.IndexOf(4));
    }

    [Fact]
    public void A_full_set_refuses_instead_of_dropping_silently()
    {
        // winsock2.h's FD_SET does nothing at all when fd_count == FD_SETSIZE.
        FdSet s = default;
        for (int i = 0; i < FdSet.Size; i++) Assert.True(s.Add((nuint)(100_000 + i * 4)));
        Assert.True(s.IsFull);
        Assert.False(s.Add(8));
        Assert.Equal(FdSet.Size, s.Count);
        Assert.False(s.Contains(8));
    }

    [Fact]
    public void Remove_moves_the_last_into_the_gap()
    {
        FdSet s = default;
        s.Add(4); s.Add(8); s.Add(12);
        Assert.True(s.Remove(4));
        Assert.False(s.Remove(4));
        Assert.Equal(2, s.Count);
        Assert.Equal((nuint)12, s[0]);
        Assert.Equal((nuint)8, s[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => s[2]);
    }

    [Fact]
    public void CopyFrom_and_Zero()
    {
        FdSet a = default, b = default;
        a.Add(4); a.Add(unchecked((nuint)0xFFFF_0000_0000UL));
        b.Add(99); b.Add(98); b.Add(97);
        b.CopyFrom(in a);
        Assert.Equal(2, b.Count);
        Assert.True(b.Contains(unchecked((nuint)0xFFFF_0000_0000UL)));
        Assert.False(b.Contains(97)); // beyond fd_count: not a member, whatever the array holds
        b.Zero();
        Assert.Equal(0, b.Count);
        Assert.False(b.Contains(4));
    }
}
