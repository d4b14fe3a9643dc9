using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nint recv(int sockfd, void* buf, nuint len, int flags);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nint recvfrom(int sockfd, void* buf, nuint len, int flags, void* src_addr, uint* addrlen);
}
