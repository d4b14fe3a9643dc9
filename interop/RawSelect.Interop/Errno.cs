namespace RawSelect.Interop;

/// <summary>
/// The error numbers the server reasons about, with their C names and Linux x86-64/arm64 values
/// (asm-generic/errno-base.h, asm-generic/errno.h). The layout test compares each with the
/// headers. These are the seam's vocabulary on every platform: Winsock's WSAE* codes are mapped
/// onto them.
/// </summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EWOULDBLOCK = EAGAIN;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOSPC = 28;
    public const int EPIPE = 32;
    public const int ENOSYS = 38;
    public const int EPROTO = 71;
    public const int ENOTSOCK = 88;
    public const int EMSGSIZE = 90;
    public const int EOPNOTSUPP = 95;
    public const int ENOPROTOOPT = 92;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ENOTCONN = 107;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;

    /// <summary>The C name of an error number, for logs ("ECONNRESET"), or null if unknown here.</summary>
    /// <summary>How a failure reads in a one-line message: "Address already in use (EADDRINUSE)".</summary>
    public static string Describe(int errno, string text) => $"{text} ({Name(errno) ?? "errno " + errno})";

    public static string? Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", EINTR => "EINTR", EBADF => "EBADF", EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM", EACCES => "EACCES", EFAULT => "EFAULT", EEXIST => "EEXIST", EINVAL => "EINVAL",
        ENFILE => "ENFILE", EMFILE => "EMFILE", ENOSPC => "ENOSPC", EPIPE => "EPIPE", ENOSYS => "ENOSYS",
        EPROTO => "EPROTO", ENOTSOCK => "ENOTSOCK", EMSGSIZE => "EMSGSIZE",
        EOPNOTSUPP => "EOPNOTSUPP", ENOPROTOOPT => "ENOPROTOOPT", EAFNOSUPPORT => "EAFNOSUPPORT", EADDRINUSE => "EADDRINUSE",
        EADDRNOTAVAIL => "EADDRNOTAVAIL", ENETDOWN => "ENETDOWN", ENETUNREACH => "ENETUNREACH",
        ECONNABORTED => "ECONNABORTED", ECONNRESET => "ECONNRESET", ENOBUFS => "ENOBUFS",
        ENOTCONN => "ENOTCONN", ETIMEDOUT => "ETIMEDOUT", ECONNREFUSED => "ECONNREFUSED",
        EHOSTUNREACH => "EHOSTUNREACH",
        _ => null,
    };
}
