namespace RawSelect.Interop.Windows;

/// <summary>
/// WSADATA as winsock2.h declares it under _WIN64 ("WSADATA structure" in the Winsock
/// reference). On 64-bit Windows the fields are reordered relative to 32-bit Windows: the two
/// shorts and the pointer come first.
/// <code>
/// WORD           wVersion;                                /*   0 */
/// WORD           wHighVersion;                            /*   2 */
/// unsigned short iMaxSockets;                             /*   4  (ignored since Winsock 2) */
/// unsigned short iMaxUdpDg;                               /*   6  (ignored since Winsock 2) */
/// char FAR *     lpVendorInfo;                            /*   8  (ignored since Winsock 2) */
/// char           szDescription[WSADESCRIPTION_LEN + 1];   /*  16, 257 bytes */
/// char           szSystemStatus[WSASYS_STATUS_LEN + 1];   /* 273, 129 bytes */
/// </code>
/// 402 bytes of fields, padded to 408 for the pointer's 8-byte alignment.
/// </summary>
public unsafe struct WsaData
{
    public ushort wVersion;
    public ushort wHighVersion;
    public ushort iMaxSockets;
    public ushort iMaxUdpDg;
    public byte* lpVendorInfo;
    public fixed byte szDescription[Ws2_32.WSADESCRIPTION_LEN + 1];
    public fixed byte szSystemStatus[Ws2_32.WSASYS_STATUS_LEN + 1];
}
