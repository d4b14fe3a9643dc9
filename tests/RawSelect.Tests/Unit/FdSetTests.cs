using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Unit;

public class FdSetTests
{
    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(63, 0, 63)]
    [InlineData(64, 1, 0)]
    [InlineData(1023, 15, 63)]
    public void Set_puts_the_bit_where_FD_SET_does(int fd, int word, int bit)
    {
        FdSet s = default;
        s.Set(fd);
        Assert.True(s.IsSet(fd));
        Assert.Equal(1UL << bit, s.Word(word));
        Assert.Equal(1, s.Count);
        for (int w = 0; w < FdSet.Words; w++)
            if (w != word) Assert.Equal(0UL, s.Word(w));
        s.Clear(fd);
        Assert.False(s.IsSet(fd));
        Assert.Equal(0, s.Count);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(4096)]
    [InlineData(-1)]
    public void Descriptors_outside_FD_SETSIZE_are_refused_not_written(int fd)
    {
        FdSet s = default;
        Assert.False(FdSet.Fits(fd));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Set(fd));
        Assert.False(s.IsSet(fd));
        Assert.Equal(0, s.Count);
    }

    [Fact]
    public void Neighbouring_bits_are_independent()
    {
        FdSet s = default;
        foreach (int fd in new[] { 0, 1, 63, 64, 65, 1022, 1023 }) s.Set(fd);
        s.Clear(64);
        Assert.True(s.IsSet(63));
        Assert.True(s.IsSet(65));
        Assert.False(s.IsSet(64));
        Assert.Equal(6, s.Count);
        s.Zero();
        Assert.Equal(0, s.Count);
    }

    [Fact]
    public unsafe void Is_128_bytes_like_glibc() => Assert.Equal(128, sizeof(FdSet));
}
