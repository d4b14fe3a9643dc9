using System;
using System.Buffers.Binary;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// Parses the ADDR:PORT of --tcp and --udp: an IPv4 literal in dotted-quad form, an IPv6
/// literal in brackets, or "localhost" (127.0.0.1, as the tutorial binds it). Strict on
/// purpose: "127.1" or "0x7f.0.0.1" are accepted by inet_aton but are never what an operator meant.
/// </summary>
public static class ListenAddress
{
    public static bool TryParse(string text, out NetAddress address, out string error)
    {
        address = default;
        error = "";
        int colon = text.LastIndexOf(':');
        if (colon < 0) { error = "expected ADDR:PORT"; return false; }
        ReadOnlySpan<char> host = text.AsSpan(0, colon);
        ReadOnlySpan<char> portText = text.AsSpan(colon + 1);
        if (!TryParsePort(portText, out ushort port)) { error = "the port must be a number from 0 to 65535"; return false; }

        if (host.Length >= 2 && host[0] == '[' && host[^1] == ']')
        {
            Span<byte> b = stackalloc byte[16];
            if (!TryParseIPv6(host[1..^1], b)) { error = "not an IPv6 address"; return false; }
            address = NetAddress.IPv6(b, port);
            return true;
        }
        if (host.Contains(':')) { error = "an IPv6 address must be in brackets, as in [::1]:5000"; return false; }
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = NetAddress.IPv4Loopback(port);
            return true;
        }
        Span<byte> v4 = stackalloc byte[4];
        if (!TryParseIPv4(host, v4)) { error = "expected an IPv4 address, [IPv6] address or localhost"; return false; }
        address = NetAddress.IPv4(v4[0], v4[1], v4[2], v4[3], port);
        return true;
    }

    public static bool TryParsePort(ReadOnlySpan<char> s, out ushort port)
    {
        port = 0;
        if (s.Length == 0 || s.Length > 5) return false;
        int v = 0;
        foreach (char c in s)
        {
            if (c < '0' || c > '9') return false;
            v = v * 10 + (c - '0');
        }
        if (v > 65535) return false;
        port = (ushort)v;
        return true;
    }

    public static bool TryParseIPv4(ReadOnlySpan<char> s, Span<byte> dest)
    {
        int part = 0;
        int start = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i < s.Length && s[i] != '.') continue;
            if (part == 4) return false;
            ReadOnlySpan<char> p = s[start..i];
            // No empty parts, at most 3 digits, no leading zeros (ambiguous: octal to some parsers).
            if (p.Length == 0 || p.Length > 3 || (p.Length > 1 && p[0] == '0')) return false;
            int v = 0;
            foreach (char c in p)
            {
                if (c < '0' || c > '9') return false;
                v = v * 10 + (c - '0');
            }
            if (v > 255) return false;
            dest[part++] = (byte)v;
            start = i + 1;
        }
        return part == 4;
    }

    /// <summary>RFC 4291 2.2 text forms: full, "::"-compressed, and with a trailing dotted quad.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<char> s, Span<byte> dest)
    {
        dest.Clear();
        if (s.Length == 0 || s.Length > 45) return false;
        Span<ushort> head = stackalloc ushort[8];
        Span<ushort> tail = stackalloc ushort[8];
        int nHead = 0, nTail = 0;
        bool compressed = false;
        int i = 0;
        if (s.StartsWith("::"))
        {
            compressed = true;
            i = 2;
            if (s.Length == 2) { return true; }
        }
        else if (s[0] == ':') return false;

        while (i < s.Length)
        {
            int end = s[i..].IndexOf(':');
            ReadOnlySpan<char> group = end < 0 ? s[i..] : s.Slice(i, end);
            bool last = end < 0;
            if (group.Length == 0) return false;
            if (last && group.Contains('.'))
            {
                Span<byte> v4 = stackalloc byte[4];
                if (!TryParseIPv4(group, v4)) return false;
                if (!Push(head, ref nHead, tail, ref nTail, compressed, (ushort)(v4[0] << 8 | v4[1]))) return false;
                if (!Push(head, ref nHead, tail, ref nTail, compressed, (ushort)(v4[2] << 8 | v4[3]))) return false;
                break;
            }
            if (group.Length > 4) return false;
            ushort v = 0;
            foreach (char c in group)
            {
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0) return false;
                v = (ushort)(v << 4 | d);
            }
            if (!Push(head, ref nHead, tail, ref nTail, compressed, v)) return false;
            if (last) break;
            i += end + 1;
            if (i < s.Length && s[i] == ':')
            {
                if (compressed) return false; // "::" at most once
                compressed = true;
                i++;
                if (i == s.Length) break;
            }
            else if (i == s.Length) return false; // trailing single ':'
        }

        int total = nHead + nTail;
        if (compressed ? total > 7 : total != 8) return false;
        for (int k = 0; k < nHead; k++) BinaryPrimitives.WriteUInt16BigEndian(dest.Slice(k * 2), head[k]);
        for (int k = 0; k < nTail; k++) BinaryPrimitives.WriteUInt16BigEndian(dest.Slice((8 - nTail + k) * 2), tail[k]);
        return true;

    }

    private static bool Push(Span<ushort> head, ref int nHead, Span<ushort> tail, ref int nTail, bool compressed, ushort g)
    {
        {
            if (nHead + nTail >= 8) return false;
            if (compressed) tail[nTail++] = g; else head[nHead++] = g;
            return true;
        }
    }
}
