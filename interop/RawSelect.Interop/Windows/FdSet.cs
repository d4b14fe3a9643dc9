using System;
using System.Runtime.CompilerServices;

namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock's fd_set (winsock2.h; "fd_set structure" in the Winsock reference):
/// <code>
/// typedef struct fd_set {
///     u_int  fd_count;               /* how many are SET? */
///     SOCKET fd_array[FD_SETSIZE];   /* an array of SOCKETs */
/// } fd_set;
/// </code>
/// Not a bitmap: a count and an array of handles, so the limit is how MANY sockets it holds,
/// whatever their values (handles are kernel handle values, multiples of 4, often far above
/// FD_SETSIZE). On 64-bit Windows SOCKET is 8 bytes and 8-aligned, so fd_array starts at offset 8
/// after 4 bytes of padding and sizeof is 8 + 8 * FD_SETSIZE = 8200 bytes for our
/// FD_SETSIZE of 1024 (why 1024: <see cref="Ws2_32.FD_SETSIZE"/>).
///
/// winsock2.h's FD_SET macro silently does nothing when the set is full, so a program that
/// forgot to count loses sockets without a word. <see cref="Add"/> reports it instead, and the
/// selector refuses registrations before the set could fill.
/// </summary>
public unsafe struct FdSet
{
    public const int Size = Ws2_32.FD_SETSIZE;

    public uint fd_count;
    private fixed ulong fd_array[Size];

    public readonly int Count => (int)fd_count;

    public readonly bool IsFull => fd_count >= Size;

    /// <summary>The handle at position index (0 .. Count-1).</summary>
    public readonly nuint this[int index]
    {
        get
        {
            if ((uint)index >= fd_count) ThrowIndex(index);
            return (nuint)fd_array[index];
        }
    }

    /// <summary>FD_SET without the silent drop: false if the set is full. Does not check for duplicates.</summary>
    public bool Add(nuint socket)
    {
        if (fd_count >= Size) return false;
        fd_array[fd_count++] = socket;
        return true;
    }

    /// <summary>FD_CLR: removes one handle (moving the last into its place). False if absent.</summary>
    public bool Remove(nuint socket)
    {
        int i = IndexOf(socket);
        if (i < 0) return false;
        fd_array[i] = fd_array[--fd_count];
        return true;
    }

    /// <summary>FD_ISSET: a linear search, as Winsock's __WSAFDIsSet does (vectorised here).</summary>
    public readonly bool Contains(nuint socket) => IndexOf(socket) >= 0;

    public readonly int IndexOf(nuint socket)
    {
        fixed (ulong* p = fd_array)
            return new ReadOnlySpan<ulong>(p, (int)fd_count).IndexOf((ulong)socket);
    }

    /// <summary>FD_ZERO: only the count matters.</summary>
    public void Zero() => fd_count = 0;

    /// <summary>Copies another set: the count and only the entries in use, not all 8 KiB.</summary>
    public void CopyFrom(in FdSet other)
    {
        int n = other.Count;
        fixed (ulong* d = fd_array)
        fixed (ulong* s = other.fd_array)
            new ReadOnlySpan<ulong>(s, n).CopyTo(new Span<ulong>(d, n));
        fd_count = (uint)n;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, "beyond fd_count");
}
