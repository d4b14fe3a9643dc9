using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// setrlimit(2). An unprivileged process may move its soft limit anywhere up to the hard one
    /// (and lower the hard one for good); only CAP_SYS_RESOURCE raises the hard limit.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int setrlimit(int resource, RLimit* rlim);
}
