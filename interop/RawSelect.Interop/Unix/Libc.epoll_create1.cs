using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>epoll_create1(2): a new epoll instance, as a descriptor (EPOLL_CLOEXEC: not inherited by exec).</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int epoll_create1(int flags);
}
