using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

/// <summary>
/// The process's identity. glibc's setgroups/setgid/setuid apply to every thread of the process
/// (it signals each thread to make the same system call), which matters here: the .NET runtime
/// has threads of its own, and the raw system calls would change only the calling thread.
/// </summary>
public static partial class Libc
{
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int setgroups(nuint size, uint* list);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int getgroups(int size, uint* list);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int setgid(uint gid);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int setuid(uint uid);

    [LibraryImport(Name)]
    public static partial uint getuid();

    [LibraryImport(Name)]
    public static partial uint geteuid();

    [LibraryImport(Name)]
    public static partial uint getgid();

    [LibraryImport(Name)]
    public static partial uint getegid();
}
