using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>Several datagrams in one system call (Linux 2.6.33+, glibc 2.12+).</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int recvmmsg(int sockfd, MMsgHdr* msgvec, uint vlen, int flags, void* timeout);

    /// <summary>Several datagrams, each to its own address, in one system call (Linux 3.0+, glibc 2.14+).</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int sendmmsg(int sockfd, MMsgHdr* msgvec, uint vlen, int flags);
}
