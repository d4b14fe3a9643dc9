using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int getrlimit(int resource, RLimit* rlim);
}
