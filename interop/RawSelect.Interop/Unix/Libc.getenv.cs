using System.Runtime.InteropServices;

namespace RawSelect.Interop.Unix;

public static partial class Libc
{
    /// <summary>
    /// The process's real environment (environ). .NET's Environment keeps a managed copy taken at
    /// start; changing only that copy would leave environ, and what an exec'd child inherits
    /// through it, unchanged.
    /// </summary>
    [LibraryImport(Name)]
    public static unsafe partial byte* getenv(byte* name);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int unsetenv(byte* name);
}
