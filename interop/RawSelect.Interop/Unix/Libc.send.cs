using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>Always called with MSG_NOSIGNAL: a peer that reset must cost an EPIPE, not a SIGPIPE.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nint send(int sockfd, void* buf, nuint len, int flags);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nint sendto(int sockfd, void* buf, nuint len, int flags, void* dest_addr, uint addrlen);
}
