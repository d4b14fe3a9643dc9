using System.Runtime.InteropServices;

namespace RawSelect.Interop.Windows;

public static partial class Ws2_32
{
    /// <summary>Returns INVALID_SOCKET (~0) on failure, never a negative number.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial nuint socket(int af, int type, int protocol);

    /// <summary>
    /// socket() with flags: WSA_FLAG_NO_HANDLE_INHERIT is Winsock's SOCK_CLOEXEC, and
    /// WSA_FLAG_OVERLAPPED keeps what socket() gives by default.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nuint WSASocketW(int af, int type, int protocol, void* lpProtocolInfo, uint g, uint dwFlags);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int setsockopt(nuint s, int level, int optname, void* optval, int optlen);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int bind(nuint s, void* name, int namelen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int listen(nuint s, int backlog);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int connect(nuint s, void* name, int namelen);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int getsockname(nuint s, void* name, int* namelen);

    /// <summary>how: SD_RECEIVE, SD_SEND, SD_BOTH (the same values as SHUT_RD/WR/RDWR).</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int shutdown(nuint s, int how);

    /// <summary>cmd is a C long (32 bits on Windows); argp a u_long (32 bits too).</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int ioctlsocket(nuint s, int cmd, uint* argp);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int WSAIoctl(nuint s, uint dwIoControlCode, void* lpvInBuffer, uint cbInBuffer,
        void* lpvOutBuffer, uint cbOutBuffer, uint* lpcbBytesReturned, void* lpOverlapped, void* lpCompletionRoutine);
}
