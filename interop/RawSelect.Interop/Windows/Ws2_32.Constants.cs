namespace RawSelect.Interop.Windows;

// Values from the Windows SDK headers (winsock2.h, ws2def.h, ws2ipdef.h, mstcpip.h), 64-bit.
// Where a value differs from Linux the Linux value is noted: the two must never be mixed.
// The layout tests compare every one of these with the documented numbers and, where the
// MinGW-w64 cross compiler is installed, with its headers.
public static partial class Ws2_32
{
    /// <summary>
    /// Our fd_set capacity: a COUNT of sockets, not a largest handle value. winsock2.h defaults to
    /// 64 and lets a program define a larger one before including it; select itself reads
    /// fd_count entries and has no limit of its own. 1024 gives the Windows server the same
    /// client capacity as glibc's FD_SETSIZE gives it on Linux, costs 8 KiB per set, and the
    /// selector copies only the fd_count entries in use, so a small server pays for what it
    /// registers, not for the size.
    /// </summary>
    public const int FD_SETSIZE = 1024;

    /// <summary>Winsock's own default, for reference (winsock2.h).</summary>
    public const int FD_SETSIZE_DEFAULT = 64;

    /// <summary>(SOCKET)(~0): all ones, pointer-sized. Not a constant in C# because nuint is not.</summary>
    public static nuint INVALID_SOCKET => nuint.MaxValue;
    public const int SOCKET_ERROR = -1;

    /// <summary>MAKEWORD(2, 2): Winsock 2.2, the version every Windows since 98 provides.</summary>
    public const ushort WINSOCK_VERSION_2_2 = 0x0202;
    public const int WSADESCRIPTION_LEN = 256;
    public const int WSASYS_STATUS_LEN = 128;

    public const int AF_INET = 2;
    public const int AF_INET6 = 23; // Linux: 10

    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;

    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_UDP = 17;
    public const int IPPROTO_IPV6 = 41;

    public const int SOL_SOCKET = 0xffff; // Linux: 1
    public const int SO_REUSEADDR = 0x0004; // Linux: 2, and a different meaning (see WinsockSocketApi)
    public const int SO_EXCLUSIVEADDRUSE = ~SO_REUSEADDR; // -5: (int)(~SO_REUSEADDR)
    public const int SO_SNDBUF = 0x1001; // Linux: 7
    public const int SO_RCVBUF = 0x1002; // Linux: 8
    public const int SO_OOBINLINE = 0x0100; // Linux: 10
    public const int TCP_NODELAY = 0x0001;
    public const int IPV6_V6ONLY = 27; // Linux: 26

    /// <summary>_IOW('f', 126, u_long): set or clear non-blocking mode.</summary>
    public const int FIONBIO = unchecked((int)0x8004667E);

    /// <summary>
    /// _WSAIOW(IOC_VENDOR, 12) (mstcpip.h): with FALSE, a UDP socket stops failing the next
    /// recvfrom with WSAECONNRESET after one of its datagrams drew an ICMP port-unreachable.
    /// </summary>
    public const uint SIO_UDP_CONNRESET = 0x9800000C;

    /// <summary>WSASocketW flags (winsock2.h).</summary>
    public const uint WSA_FLAG_OVERLAPPED = 0x01;
    public const uint WSA_FLAG_NO_HANDLE_INHERIT = 0x80;

    public const int SD_RECEIVE = 0;
    public const int SD_SEND = 1;
    public const int SD_BOTH = 2;
}
