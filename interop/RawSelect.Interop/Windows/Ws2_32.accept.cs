using System.Runtime.InteropServices;

namespace RawSelect.Interop.Windows;

public static partial class Ws2_32
{
    /// <summary>
    /// There is no accept4: the new socket inherits the listener's properties, non-blocking mode
    /// included, and the caller sets FIONBIO again to be sure. WSAEWOULDBLOCK when none is pending.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial nuint accept(nuint s, void* addr, int* addrlen);
}
