using System.Runtime.InteropServices;

namespace RawSelect.Interop.Windows;

public static partial class Ws2_32
{
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int recv(nuint s, byte* buf, int len, int flags);

    /// <summary>
    /// There is no MSG_TRUNC: a datagram longer than len fills the buffer, the rest is discarded,
    /// and the call fails with WSAEMSGSIZE (the sender's address is still filled in). A UDP socket
    /// also fails with WSAECONNRESET after an ICMP port-unreachable unless SIO_UDP_CONNRESET
    /// turned that off.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int recvfrom(nuint s, byte* buf, int len, int flags, void* from, int* fromlen);
}
