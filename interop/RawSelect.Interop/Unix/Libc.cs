namespace RawSelect.Interop.Unix;

/// <summary>
/// libc, one file per function or tight group, C names kept so the man pages are the documentation.
/// The executable links these directly (DirectPInvoke), so there is no dlopen at start.
/// Every function that reports through errno is declared SetLastError = true and read with
/// Marshal.GetLastPInvokeError(), which the generated stub captures right after the call.
/// </summary>
public static unsafe partial class Libc
{
    public const string Name = "libc";
}
