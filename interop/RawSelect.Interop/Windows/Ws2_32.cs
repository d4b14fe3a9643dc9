namespace RawSelect.Interop.Windows;

/// <summary>
/// ws2_32.dll, the Winsock 2 library: the Windows twin of <see cref="Unix.Libc"/>. One file per
/// function or tight group, C names kept so Microsoft's reference pages are the documentation.
///
/// SOCKET is UINT_PTR (<c>nuint</c> here); INVALID_SOCKET is ~0, so a failed socket/accept is
/// tested with <c>== INVALID_SOCKET</c>, never <c>&lt; 0</c>. Calls that fail return
/// SOCKET_ERROR (-1) and leave the reason in the thread's last error, which is what
/// WSAGetLastError returns. Every such function is declared <c>SetLastError = true</c>: the
/// generated stub reads that value right after the call, before the runtime can run code that
/// overwrites it, and <c>Marshal.GetLastPInvokeError()</c> hands it back (dotnet/runtime's own
/// Winsock interop does the same). Calling WSAGetLastError afterwards is declared for completeness
/// but is not safe to rely on from managed code.
///
/// Only 64-bit Windows is supported: the structs here (fd_set, WSADATA) are laid out as the
/// _WIN64 headers lay them out.
/// </summary>
public static unsafe partial class Ws2_32
{
    public const string Name = "ws2_32";
}
