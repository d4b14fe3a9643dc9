using System.Runtime.InteropServices;

namespace RawSelect.Interop.Windows;

public static partial class Ws2_32
{
    /// <summary>Windows has no SIGPIPE: a reset peer costs WSAECONNRESET (or WSAESHUTDOWN), no flag needed.</summary>
    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int send(nuint s, byte* buf, int len, int flags);

    [LibraryImport(Name, SetLastError = true)]
    public static unsafe partial int sendto(nuint s, byte* buf, int len, int flags, void* to, int tolen);
}
