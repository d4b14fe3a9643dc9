namespace RawSelect.Interop.Unix;

/// <summary>struct sockaddr_in (netinet/in.h), 16 bytes. sin_port and sin_addr are in network byte order.</summary>
public unsafe struct SockAddrIn
{
    public ushort sin_family;
    public ushort sin_port;
    public uint sin_addr;
    public fixed byte sin_zero[8];
}
