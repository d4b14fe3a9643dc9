using System.Runtime.InteropServices;

namespace RawSelect.Interop.Windows;

public static partial class Ws2_32
{
    /// <summary>
    /// Must succeed before any other Winsock call. Returns 0 or the error code itself: it does
    /// not set the last error, since WSAGetLastError cannot be trusted before it succeeds.
    /// </summary>
    [LibraryImport(Name)]
    public static unsafe partial int WSAStartup(ushort wVersionRequested, WsaData* lpWSAData);

    /// <summary>
    /// Balances WSAStartup. A process that exits needs none (Windows releases its Winsock state);
    /// it matters to code that stays loaded after it is done with sockets.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    public static partial int WSACleanup();

    /// <summary>
    /// The calling thread's last Winsock error. From managed code read
    /// <c>Marshal.GetLastPInvokeError()</c> instead: see <see cref="Ws2_32"/>.
    /// </summary>
    [LibraryImport(Name)]
    public static partial int WSAGetLastError();
}
