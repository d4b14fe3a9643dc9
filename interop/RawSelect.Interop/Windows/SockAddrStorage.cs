namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock's SOCKADDR_STORAGE (ws2def.h, SOCKADDR_STORAGE_LH; "SOCKADDR_STORAGE_LH structure"):
/// <code>
/// ADDRESS_FAMILY ss_family;              /* 0,   2 bytes  */
/// CHAR           __ss_pad1[6];           /* 2,   6 bytes  */
/// __int64        __ss_align;             /* 8,   8 bytes  */
/// CHAR           __ss_pad2[112];         /* 16, 112 bytes */
/// </code>
/// 128 bytes, 8-aligned, room for any sockaddr the server meets.
/// </summary>
public unsafe struct SockAddrStorage
{
    public ushort ss_family;
    public fixed byte __ss_pad1[6];
    public long __ss_align;
    public fixed byte __ss_pad2[112];
}
