using System;
using System.Buffers.Binary;

namespace RawSelect.Interop;

/// <summary>
/// An IPv4 or IPv6 address and port, platform-neutral and unmanaged, so the seam can hand peers back
/// without allocating. Each ISocketApi converts it to its own sockaddr. Bytes are in network order.
/// </summary>
public unsafe struct NetAddress : IEquatable<NetAddress>
{
    private fixed byte _bytes[16];

    public AddressFamilyKind Family;
    public ushort Port;
    public uint ScopeId;

    public static NetAddress IPv4(byte a, byte b, byte c, byte d, ushort port)
    {
        var n = new NetAddress { Family = AddressFamilyKind.IPv4, Port = port };
        n._bytes[0] = a; n._bytes[1] = b; n._bytes[2] = c; n._bytes[3] = d;
        return n;
    }

    public static NetAddress IPv6(ReadOnlySpan<byte> sixteen, ushort port, uint scopeId = 0)
    {
        if (sixteen.Length != 16) throw new ArgumentException("an IPv6 address is 16 bytes", nameof(sixteen));
        var n = new NetAddress { Family = AddressFamilyKind.IPv6, Port = port, ScopeId = scopeId };
        sixteen.CopyTo(n.Bytes);
        return n;
    }

    public static NetAddress IPv4Loopback(ushort port) => IPv4(127, 0, 0, 1, port);

    public static NetAddress IPv6Loopback(ushort port)
    {
        Span<byte> b = stackalloc byte[16];
        b[15] = 1;
        return IPv6(b, port);
    }

    /// <summary>The address bytes: 4 for IPv4, 16 for IPv6.</summary>
    public Span<byte> Bytes
    {
        get
        {
            fixed (byte* p = _bytes)
                return new Span<byte>(p, Family == AddressFamilyKind.IPv4 ? 4 : 16);
        }
    }

    public readonly ReadOnlySpan<byte> ReadOnlyBytes
    {
        get
        {
            fixed (byte* p = _bytes)
                return new ReadOnlySpan<byte>(p, Family == AddressFamilyKind.IPv4 ? 4 : 16);
        }
    }

    /// <summary>
    /// True for sources an echo must never answer: broadcast and multicast (a reply would fan out to
    /// a whole segment), also when an IPv4 one hides inside an IPv4-mapped IPv6 address.
    /// </summary>
    public readonly bool IsBroadcastOrMulticast
    {
        get
        {
            ReadOnlySpan<byte> b = ReadOnlyBytes;
            if (Family == AddressFamilyKind.IPv6)
            {
                if (b[0] == 0xff) return true;
                if (!IsV4Mapped(b)) return false;
                b = b.Slice(12);
            }
            else if (Family != AddressFamilyKind.IPv4) return false;
            return b[0] >= 224 || (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255);
        }
    }

    private static bool IsV4Mapped(ReadOnlySpan<byte> b) =>
        b.Slice(0, 10).IndexOfAnyExcept((byte)0) < 0 && b[10] == 0xff && b[11] == 0xff;

    public readonly bool Equals(NetAddress other) =>
        Family == other.Family && Port == other.Port && ScopeId == other.ScopeId &&
        ReadOnlyBytes.SequenceEqual(other.ReadOnlyBytes);

    public override readonly bool Equals(object? obj) => obj is NetAddress n && Equals(n);

    public override readonly int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Family); h.Add(Port); h.Add(ScopeId);
        h.AddBytes(ReadOnlyBytes);
        return h.ToHashCode();
    }

    /// <summary>Longest text form: "[" + 39 + "%" + 10 + "]:" + 5.</summary>
    public const int MaxTextLength = 64;

    /// <summary>Formats as 127.0.0.1:5000 or [::1]:5000 (RFC 5952: shortest, lowercase).</summary>
    public readonly bool TryFormat(Span<char> dest, out int written)
    {
        written = 0;
        if (dest.Length < MaxTextLength) return false;
        int w = 0;
        ReadOnlySpan<byte> b = ReadOnlyBytes;
        if (Family == AddressFamilyKind.IPv4)
        {
            for (int i = 0; i < 4; i++)
            {
                if (i > 0) dest[w++] = '.';
                b[i].TryFormat(dest.Slice(w), out int n); w += n;
            }
        }
        else if (Family == AddressFamilyKind.IPv6)
        {
            dest[w++] = '[';
            w += FormatIPv6(b, dest.Slice(w));
            if (ScopeId != 0)
            {
                dest[w++] = '%';
                ScopeId.TryFormat(dest.Slice(w), out int n); w += n;
            }
            dest[w++] = ']';
        }
        else
        {
            "unspecified".AsSpan().CopyTo(dest);
            written = 11;
            return true;
        }
        dest[w++] = ':';
        Port.TryFormat(dest.Slice(w), out int p); w += p;
        written = w;
        return true;
    }

    private static int FormatIPv6(ReadOnlySpan<byte> b, Span<char> dest)
    {
        Span<ushort> g = stackalloc ushort[8];
        for (int i = 0; i < 8; i++) g[i] = BinaryPrimitives.ReadUInt16BigEndian(b.Slice(i * 2));

        // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8;)
        {
            if (g[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
            i = j;
        }

        int w = 0;
        bool v4Tail = IsV4Mapped(b);
        int groups = v4Tail ? 6 : 8;
        for (int i = 0; i < groups; i++)
        {
            if (i == bestStart)
            {
                dest[w++] = ':'; dest[w++] = ':';
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLen) dest[w++] = ':';
            g[i].TryFormat(dest.Slice(w), out int n, "x"); w += n;
        }
        if (v4Tail)
        {
            if (bestStart < 0 || bestStart + bestLen != 6) dest[w++] = ':';
            for (int i = 12; i < 16; i++)
            {
                if (i > 12) dest[w++] = '.';
                b[i].TryFormat(dest.Slice(w), out int n); w += n;
            }
        }
        return w;
    }

    public override readonly string ToString()
    {
        Span<char> buf = stackalloc char[MaxTextLength];
        TryFormat(buf, out int n);
        return new string(buf.Slice(0, n));
    }
}
