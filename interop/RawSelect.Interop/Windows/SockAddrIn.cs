namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock's sockaddr_in (ws2def.h; "SOCKADDR_IN structure"): ADDRESS_FAMILY (USHORT)
/// sin_family at 0, USHORT sin_port at 2, IN_ADDR sin_addr at 4, CHAR sin_zero[8] at 8;
/// 16 bytes. The same layout as Linux; port and address in network byte order.
/// </summary>
public unsafe struct SockAddrIn
{
    public ushort sin_family;
    public ushort sin_port;
    public uint sin_addr;
    public fixed byte sin_zero[8];
}
