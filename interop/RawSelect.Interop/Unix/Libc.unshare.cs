using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// unshare(2). With CLONE_FILES the calling thread leaves the descriptor table it shares with
    /// the process's other threads for a copy of its own: same numbers, same open files, but
    /// whatever it opens or closes from then on happens in its table only.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int unshare(int flags);
}
