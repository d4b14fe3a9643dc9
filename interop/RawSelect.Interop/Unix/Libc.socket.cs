using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    [LibraryImport(Name, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int getsockopt(int sockfd, int level, int optname, void* optval, uint* optlen);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int bind(int sockfd, void* addr, uint addrlen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int listen(int sockfd, int backlog);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int getsockname(int sockfd, void* addr, uint* addrlen);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int shutdown(int sockfd, int how);
}
