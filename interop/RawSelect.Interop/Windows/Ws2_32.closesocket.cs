using System.Runtime.InteropServices;

namespace RawSelect.Interop.Windows;

public static partial class Ws2_32
{
    /// <summary>A SOCKET is not a CRT file descriptor: close() would not release it.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int closesocket(nuint s);
}
