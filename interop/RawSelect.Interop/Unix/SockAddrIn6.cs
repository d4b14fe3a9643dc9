namespace RawSelect.Interop.Unix;

/// <summary>struct sockaddr_in6 (netinet/in.h), 28 bytes, 4-byte aligned. Port in network byte order.</summary>
public unsafe struct SockAddrIn6
{
    public ushort sin6_family;
    public ushort sin6_port;
    public uint sin6_flowinfo;
    public fixed byte sin6_addr[16];
    public uint sin6_scope_id;
}
