using System;
using System.Runtime.CompilerServices;

namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock's fd_set (see <see cref="FdSet"/>) with an array as long as the server asks for at
/// start, rather than the compile-time 1024 of the fixed struct: select reads fd_count entries
/// and has no limit of its own, so a program may make fd_array as long as it likes (winsock2.h
/// says as much: define FD_SETSIZE before including it). Held as 64-bit words in the x64 layout:
/// word 0 is fd_count (u_int) and its 4 bytes of padding, word 1 + i is fd_array[i].
///
/// Sized once, at start: Windows handle values are not small dense numbers, so there is nothing
/// to grow with; the whole cost is 8 bytes per socket of capacity and the selector copies only
/// the fd_count entries in use each call.
/// </summary>
public sealed class LargeFdSet
{
    private readonly ulong[] _raw;

    public LargeFdSet(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least one socket");
        Capacity = capacity;
        _raw = new ulong[1 + capacity];
    }

    /// <summary>How many sockets fit (the length of fd_array).</summary>
    public int Capacity { get; }

    /// <summary>The struct as Winsock reads it, to pin for select.</summary>
    public Span<ulong> Raw => _raw;

    public int Count => (int)(uint)_raw[0];

    public bool IsFull => Count >= Capacity;

    /// <summary>The handle at position index (0 .. Count-1).</summary>
    public nuint this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) ThrowIndex(index);
            return (nuint)_raw[1 + index];
        }
    }

    /// <summary>FD_SET without the silent drop: false if the set is full. Does not check for duplicates.</summary>
    public bool Add(nuint socket)
    {
        int n = Count;
        if (n >= Capacity) return false;
        _raw[1 + n] = socket;
        _raw[0] = (uint)(n + 1);
        return true;
    }

    /// <summary>FD_CLR: removes one handle (moving the last into its place). False if absent.</summary>
    public bool Remove(nuint socket)
    {
        int i = IndexOf(socket);
        if (i < 0) return false;
        int last = Count - 1;
        _raw[1 + i] = _raw[1 + last];
        _raw[0] = (uint)last;
        return true;
    }

    /// <summary>FD_ISSET: a linear search, as Winsock's __WSAFDIsSet does (vectorised here).</summary>
    public bool Contains(nuint socket) => IndexOf(socket) >= 0;

    public int IndexOf(nuint socket) => _raw.AsSpan(1, Count).IndexOf((ulong)socket);

    /// <summary>FD_ZERO: only the count matters.</summary>
    public void Zero() => _raw[0] = 0;

    /// <summary>Copies another set: the count and only the entries in use. False (nothing copied) if they do not fit.</summary>
    public bool CopyFrom(LargeFdSet other)
    {
        int n = other.Count;
        if (n > Capacity) return false;
        other._raw.AsSpan(1, n).CopyTo(_raw.AsSpan(1));
        _raw[0] = (uint)n;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, "beyond fd_count");
}
