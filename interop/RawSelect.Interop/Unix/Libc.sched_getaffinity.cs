using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// sched_getaffinity(2): the CPUs the thread may run on, as a bitmask of cpusetsize bytes.
    /// glibc returns 0 (the raw call returns the bytes it filled) and zeroes the rest.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int sched_getaffinity(int pid, nuint cpusetsize, byte* mask);
}
