using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawSelect.Interop.Unix;

/// <summary>
/// glibc's fd_set: FD_SETSIZE (1024) bits as 16 longs (sys/select.h, __fd_mask = long).
/// A bit for descriptor fd lives in word fd / 64 at bit fd % 64, as FD_SET computes it.
/// Descriptors >= FD_SETSIZE do not fit: writing one would scribble past the struct, the
/// classic select overflow (CVE-2011-0719). Set refuses them; the selector checks first.
/// </summary>
public unsafe struct FdSet
{
    public const int Size = Libc.FD_SETSIZE;
    public const int Words = Size / 64;

    private fixed ulong fds_bits[Words];

    public static bool Fits(int fd) => (uint)fd < Size;

    public void Set(int fd)
    {
        if (!Fits(fd)) ThrowOutOfRange(fd);
        fds_bits[fd >> 6] |= 1UL << (fd & 63);
    }

    public void Clear(int fd)
    {
        if (!Fits(fd)) ThrowOutOfRange(fd);
        fds_bits[fd >> 6] &= ~(1UL << (fd & 63));
    }

    public readonly bool IsSet(int fd) => Fits(fd) && (fds_bits[fd >> 6] & (1UL << (fd & 63))) != 0;

    public void Zero()
    {
        for (int i = 0; i < Words; i++) fds_bits[i] = 0;
    }

    /// <summary>
    /// Copies the first <paramref name="words"/> words of <paramref name="source"/>: the kernel reads
    /// only the first nfds bits, so the rest need not be fresh.
    /// </summary>
    public void CopyFrom(in FdSet source, int words)
    {
        fixed (ulong* s = source.fds_bits)
        {
            for (int i = 0; i < words; i++) fds_bits[i] = s[i];
        }
    }

    /// <summary>One 64-bit word: lets a scan skip 64 empty descriptors at a time.</summary>
    public readonly ulong Word(int index) => fds_bits[index];

    public readonly int Count
    {
        get
        {
            int n = 0;
            for (int i = 0; i < Words; i++) n += BitOperations.PopCount(fds_bits[i]);
            return n;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfRange(int fd) =>
        throw new System.ArgumentOutOfRangeException(nameof(fd), fd, $"descriptor does not fit in an fd_set (FD_SETSIZE {Size})");
}
