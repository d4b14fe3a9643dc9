using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawSelect.Interop.Unix;

/// <summary>
/// An fd_set as large as the server needs, not as glibc's FD_SETSIZE (1024) says: an array of
/// 64-bit words laid out exactly as the kernel reads an fd_set (descriptor fd is bit fd % 64 of
/// word fd / 64, as FD_SET computes it), so select(2) can take it. The kernel reads and writes
/// ceil(nfds / 64) words and nothing else, whatever FD_SETSIZE is (Net-SNMP's large_fd_set,
/// Ruby's rb_fdset_t and libev's select backend rely on the same).
///
/// Two sizes: <see cref="Capacity"/>, fixed at construction, is how many descriptors may ever
/// be set (the selector's cap: no descriptor at or past it is ever written); the words really
/// allocated grow (doubling) only as higher descriptors are set, so a server with a
/// million-descriptor limit and ten connections holds a few words, not 128 KiB per set.
/// </summary>
public sealed class LargeFdSet
{
    /// <summary>Words allocated at first: 1024 descriptors, glibc's fd_set, 128 bytes.</summary>
    public const int InitialWords = Libc.FD_SETSIZE / 64;

    private ulong[] _words;

    public LargeFdSet(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least one descriptor");
        Capacity = capacity;
        _words = new ulong[Math.Min(InitialWords, MaxWords)];
    }

    /// <summary>Descriptors 0 .. Capacity-1 fit; no other is ever written.</summary>
    public int Capacity { get; }

    /// <summary>The most words this set may grow to: ceil(Capacity / 64).</summary>
    public int MaxWords => (int)(((long)Capacity + 63) >> 6);

    /// <summary>Words allocated now (what select may be given nfds for: up to 64 times this).</summary>
    public int AllocatedWords => _words.Length;

    public bool Fits(int fd) => (uint)fd < (uint)Capacity;

    /// <summary>The words, to pin for select(2): only the first ceil(nfds/64) are read.</summary>
    public Span<ulong> Words => _words;

    public void Set(int fd)
    {
        if (!Fits(fd)) ThrowOutOfRange(fd);
        int w = fd >> 6;
        if (w >= _words.Length) Grow(w + 1);
        _words[w] |= 1UL << (fd & 63);
    }

    public void Clear(int fd)
    {
        int w = fd >> 6;
        if ((uint)w < (uint)_words.Length) _words[w] &= ~(1UL << (fd & 63));
    }

    public bool IsSet(int fd)
    {
        int w = fd >> 6;
        return fd >= 0 && w < _words.Length && (_words[w] & (1UL << (fd & 63))) != 0;
    }

    /// <summary>One 64-bit word, 0 past the allocated ones: a scan skips 64 empty descriptors at a time.</summary>
    public ulong Word(int index) => (uint)index < (uint)_words.Length ? _words[index] : 0;

    /// <summary>
    /// Makes room for <paramref name="words"/> words (never past <see cref="MaxWords"/>), so that
    /// select may be given nfds up to 64 times that. Allocates only when the set grows.
    /// </summary>
    public void EnsureWords(int words)
    {
        if (words > _words.Length) Grow(words);
    }

    /// <summary>
    /// Copies the first <paramref name="words"/> words of <paramref name="source"/>, the ones below
    /// nfds: the kernel reads no more, so the rest need not be fresh. Grows this set if needed.
    /// </summary>
    public void CopyFrom(LargeFdSet source, int words)
    {
        if (words > _words.Length) Grow(words);
        int have = Math.Min(words, source._words.Length);
        source._words.AsSpan(0, have).CopyTo(_words);
        if (have < words) _words.AsSpan(have, words - have).Clear();
    }

    public void Zero() => Array.Clear(_words);

    public int Count
    {
        get
        {
            int n = 0;
            foreach (ulong w in _words) n += BitOperations.PopCount(w);
            return n;
        }
    }

    private void Grow(int words)
    {
        if (words > MaxWords) ThrowOutOfRange(words * 64 - 1);
        int size = Math.Max(_words.Length, 1);
        while (size < words) size = (int)Math.Min((long)size * 2, MaxWords);
        Array.Resize(ref _words, size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowOutOfRange(int fd) =>
        throw new ArgumentOutOfRangeException(nameof(fd), fd, $"descriptor does not fit this fd_set (capacity {Capacity})");
}
