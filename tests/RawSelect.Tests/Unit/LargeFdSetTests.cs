using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Unit;

/// <summary>
/// The select backend's own fd_set: bits where FD_SET puts them, words allocated only as high as
/// the highest descriptor set, never a bit at or past the capacity, and per call only the words
/// below nfds copied.
/// </summary>
public class LargeFdSetTests
{
    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(63, 0, 63)]
    [InlineData(1023, 15, 63)]
    [InlineData(1024, 16, 0)]
    [InlineData(9_999, 156, 15)]
    [InlineData(1_048_575, 16_383, 63)]
    public void Set_puts_the_bit_where_FD_SET_does_past_1024_too(int fd, int word, int bit)
    {
        var s = new LargeFdSet(1 << 20);
        s.Set(fd);
        Assert.True(s.IsSet(fd));
        Assert.Equal(1UL << bit, s.Word(word));
        Assert.Equal(1, s.Count);
        Assert.True(s.AllocatedWords > word);
        s.Clear(fd);
        Assert.False(s.IsSet(fd));
        Assert.Equal(0, s.Count);
    }

    [Fact]
    public void Starts_at_glibc_size_and_grows_by_doubling_with_the_highest_descriptor_only()
    {
        var s = new LargeFdSet(1 << 20);
        Assert.Equal(16, s.AllocatedWords);     // 1024 bits, 128 bytes: whatever the capacity
        Assert.Equal(16_384, s.MaxWords);
        s.Set(5);
        Assert.Equal(16, s.AllocatedWords);
        s.Set(1024);                            // word 16
        Assert.Equal(32, s.AllocatedWords);
        s.Set(10_000);                          // word 156
        Assert.Equal(256, s.AllocatedWords);
        Assert.True(s.IsSet(5) && s.IsSet(1024) && s.IsSet(10_000)); // growth keeps what was set
        Assert.Equal(3, s.Count);
    }

    [Fact]
    public void Growth_stops_at_the_capacity_which_need_not_be_a_whole_word()
    {
        var s = new LargeFdSet(1100);           // 17.2 words: 18 at most
        Assert.Equal(18, s.MaxWords);
        s.Set(1099);
        Assert.Equal(18, s.AllocatedWords);
        Assert.True(s.IsSet(1099));
    }

    [Theory]
    [InlineData(1024, 1024)]
    [InlineData(1100, 1100)]
    [InlineData(1100, 1151)] // inside the last word, but past the capacity
    [InlineData(20_000, 20_000)]
    [InlineData(20_000, -1)]
    public void Descriptors_at_or_past_the_capacity_are_refused_not_written(int capacity, int fd)
    {
        var s = new LargeFdSet(capacity);
        Assert.False(s.Fits(fd));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Set(fd));
        Assert.False(s.IsSet(fd));
        Assert.Equal(0, s.Count);
        Assert.True(s.AllocatedWords <= s.MaxWords);
    }

    [Fact]
    public void Clear_and_IsSet_past_the_allocated_words_touch_nothing()
    {
        var s = new LargeFdSet(1 << 20);
        s.Clear(500_000);
        Assert.False(s.IsSet(500_000));
        Assert.Equal(16, s.AllocatedWords);
        Assert.Equal(0UL, s.Word(9_000));
    }

    [Fact]
    public void CopyFrom_copies_only_the_words_below_nfds()
    {
        var interest = new LargeFdSet(1 << 20);
        interest.Set(3); interest.Set(700); interest.Set(5000);
        var ready = new LargeFdSet(1 << 20);
        ready.EnsureWords(128);
        ready.Words.Fill(0xdead_beef_dead_beef); // what the kernel left there last call

        ready.CopyFrom(interest, 11);            // nfds = 701: ceil(701 / 64) = 11 words
        Assert.True(ready.IsSet(3));
        Assert.True(ready.IsSet(700));
        Assert.Equal(0xdead_beef_dead_beef, ready.Word(11)); // not copied: the kernel will not read it
        Assert.Equal(0xdead_beef_dead_beef, ready.Word(78)); // fd 5000's word, above nfds

        ready.CopyFrom(interest, 79);
        Assert.True(ready.IsSet(5000));
    }

    [Fact]
    public void CopyFrom_grows_the_target_and_zero_fills_past_the_source()
    {
        var interest = new LargeFdSet(1 << 20); // 16 words
        interest.Set(1);
        var ready = new LargeFdSet(1 << 20);
        ready.CopyFrom(interest, 40);           // nfds from a descriptor registered with no interest
        Assert.True(ready.AllocatedWords >= 40);
        Assert.True(ready.IsSet(1));
        for (int w = 16; w < 40; w++) Assert.Equal(0UL, ready.Word(w));
    }

    [Fact]
    public void A_million_descriptor_capacity_costs_nothing_until_used()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var s = new LargeFdSet(1 << 20);
        long cost = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(cost < 1024, $"an empty set with capacity 2^20 allocated {cost} bytes");
        Assert.Equal(16, s.AllocatedWords);
    }
}
