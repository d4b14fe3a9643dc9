namespace RawSelect.Interop;

/// <summary>
/// A socket as the platform names it: a file descriptor on Unix, a SOCKET (UINT_PTR) on Windows.
/// Kept as a pointer-sized unsigned value so both fit; Invalid is ~0 on both (-1 as an fd,
/// INVALID_SOCKET on Winsock), so nothing ever tests "less than zero".
/// </summary>
public readonly record struct SocketHandle(nuint Value)
{
    public static readonly SocketHandle Invalid = new(nuint.MaxValue);

    public bool IsValid => Value != nuint.MaxValue;

    /// <summary>The Unix file descriptor. Only meaningful for handles from the Unix API.</summary>
    public int Fd => (int)Value;

    public static SocketHandle FromFd(int fd) => new(fd < 0 ? nuint.MaxValue : (nuint)fd);

    public override string ToString() => IsValid ? Value.ToString() : "invalid";
}
