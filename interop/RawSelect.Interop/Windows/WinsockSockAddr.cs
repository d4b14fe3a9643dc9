using System;
using System.Buffers.Binary;

namespace RawSelect.Interop.Windows;

/// <summary>
/// NetAddress to and from Winsock's sockaddr_in / sockaddr_in6. The layouts are Linux's; only
/// AF_INET6 differs (23). Pure code, no native calls: tested on any OS.
/// </summary>
public static unsafe class WinsockSockAddr
{
    /// <summary>Writes the Winsock sockaddr for an address into ss and returns its length.</summary>
    public static int Write(in NetAddress address, SockAddrStorage* ss)
    {
        *ss = default;
        if (address.Family == AddressFamilyKind.IPv6)
        {
            var s6 = (SockAddrIn6*)ss;
            s6->sin6_family = Ws2_32.AF_INET6;
            s6->sin6_port = BinaryPrimitives.ReverseEndianness(address.Port);
            s6->sin6_scope_id = address.ScopeId;
            address.ReadOnlyBytes.CopyTo(new Span<byte>(s6->sin6_addr, 16));
            return sizeof(SockAddrIn6);
        }
        var s4 = (SockAddrIn*)ss;
        s4->sin_family = Ws2_32.AF_INET;
        s4->sin_port = BinaryPrimitives.ReverseEndianness(address.Port);
        address.ReadOnlyBytes.CopyTo(new Span<byte>(&s4->sin_addr, 4));
        return sizeof(SockAddrIn);
    }

    public static NetAddress Read(SockAddrStorage* ss)
    {
        if (ss->ss_family == Ws2_32.AF_INET6)
        {
            var s6 = (SockAddrIn6*)ss;
            return NetAddress.IPv6(new ReadOnlySpan<byte>(s6->sin6_addr, 16),
                BinaryPrimitives.ReverseEndianness(s6->sin6_port), s6->sin6_scope_id);
        }
        if (ss->ss_family == Ws2_32.AF_INET)
        {
            var s4 = (SockAddrIn*)ss;
            byte* a = (byte*)&s4->sin_addr;
            return NetAddress.IPv4(a[0], a[1], a[2], a[3], BinaryPrimitives.ReverseEndianness(s4->sin_port));
        }
        return default;
    }
}
