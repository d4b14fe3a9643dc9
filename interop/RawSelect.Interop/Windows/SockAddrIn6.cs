namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock's sockaddr_in6 (ws2ipdef.h, SOCKADDR_IN6_LH; "SOCKADDR_IN6_LH structure"):
/// ADDRESS_FAMILY sin6_family at 0, USHORT sin6_port at 2, ULONG sin6_flowinfo at 4,
/// IN6_ADDR sin6_addr at 8, and at 24 a union of ULONG sin6_scope_id and SCOPE_ID; 28 bytes,
/// 4-aligned. The same layout as Linux, but sin6_family holds AF_INET6 = 23, not 10.
/// </summary>
public unsafe struct SockAddrIn6
{
    public ushort sin6_family;
    public ushort sin6_port;
    public uint sin6_flowinfo;
    public fixed byte sin6_addr[16];
    public uint sin6_scope_id;
}
