using static RawSelect.Interop.Windows.Ws2_32;

namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock error codes in the seam's vocabulary. <see cref="ISocketApi"/> speaks POSIX errno names
/// (<see cref="Errno"/>), so the handlers test EAGAIN and ECONNRESET on every platform; this is
/// where WSAEWOULDBLOCK becomes EAGAIN. Pure functions, no native calls: tested on any OS.
///
/// A code with no POSIX counterpart the server knows (WSANOTINITIALISED, WSAEPROTONOSUPPORT...)
/// passes through unchanged. Winsock's codes start at 10000 and Linux errnos stop below 134, so
/// a passed-through code cannot be mistaken for an errno; <see cref="Text"/> still names it.
/// </summary>
public static class WinsockErrors
{
    /// <summary>The errno the seam reports for a Winsock error code.</summary>
    public static int ToErrno(int wsaError) => wsaError switch
    {
        WSAEWOULDBLOCK => Errno.EAGAIN,
        WSAEINTR => Errno.EINTR,
        WSAEBADF or WSA_INVALID_HANDLE => Errno.EBADF,
        WSAEACCES => Errno.EACCES,
        WSAEFAULT => Errno.EFAULT,
        WSAEINVAL or WSA_INVALID_PARAMETER => Errno.EINVAL,
        WSA_NOT_ENOUGH_MEMORY => Errno.ENOMEM,
        WSAEMFILE => Errno.EMFILE,
        WSAENOTSOCK => Errno.ENOTSOCK,
        WSAEMSGSIZE => Errno.EMSGSIZE,
        WSAEOPNOTSUPP => Errno.EOPNOTSUPP,
        WSAEAFNOSUPPORT => Errno.EAFNOSUPPORT,
        WSAEADDRINUSE => Errno.EADDRINUSE,
        WSAEADDRNOTAVAIL => Errno.EADDRNOTAVAIL,
        WSAENETDOWN => Errno.ENETDOWN,
        WSAENETUNREACH => Errno.ENETUNREACH,
        WSAECONNABORTED => Errno.ECONNABORTED,
        // WSAENETRESET: the connection broke (keep-alive failure; on UDP an ICMP "TTL expired").
        // For whoever holds it, that is a reset.
        WSAECONNRESET or WSAENETRESET => Errno.ECONNRESET,
        WSAENOBUFS => Errno.ENOBUFS,
        WSAENOTCONN => Errno.ENOTCONN,
        // send after shutdown(SD_SEND): Linux says EPIPE for the same mistake.
        WSAESHUTDOWN => Errno.EPIPE,
        WSAETIMEDOUT => Errno.ETIMEDOUT,
        WSAECONNREFUSED => Errno.ECONNREFUSED,
        WSAEHOSTUNREACH or WSAEHOSTDOWN => Errno.EHOSTUNREACH,
        _ => wsaError,
    };

    /// <summary>The Winsock code an errno most often comes from, or 0 if none does.</summary>
    public static int ToWsaError(int errno) => errno switch
    {
        Errno.EAGAIN => WSAEWOULDBLOCK,
        Errno.EINTR => WSAEINTR,
        Errno.EBADF => WSAEBADF,
        Errno.EACCES => WSAEACCES,
        Errno.EFAULT => WSAEFAULT,
        Errno.EINVAL => WSAEINVAL,
        Errno.ENOMEM => WSA_NOT_ENOUGH_MEMORY,
        Errno.EMFILE => WSAEMFILE,
        Errno.ENOTSOCK => WSAENOTSOCK,
        Errno.EMSGSIZE => WSAEMSGSIZE,
        Errno.EOPNOTSUPP => WSAEOPNOTSUPP,
        Errno.EAFNOSUPPORT => WSAEAFNOSUPPORT,
        Errno.EADDRINUSE => WSAEADDRINUSE,
        Errno.EADDRNOTAVAIL => WSAEADDRNOTAVAIL,
        Errno.ENETDOWN => WSAENETDOWN,
        Errno.ENETUNREACH => WSAENETUNREACH,
        Errno.ECONNABORTED => WSAECONNABORTED,
        Errno.ECONNRESET => WSAECONNRESET,
        Errno.ENOBUFS => WSAENOBUFS,
        Errno.ENOTCONN => WSAENOTCONN,
        Errno.EPIPE => WSAESHUTDOWN,
        Errno.ETIMEDOUT => WSAETIMEDOUT,
        Errno.ECONNREFUSED => WSAECONNREFUSED,
        Errno.EHOSTUNREACH => WSAEHOSTUNREACH,
        >= WSABASEERR => errno,
        _ => 0,
    };

    /// <summary>The C name of a Winsock code ("WSAECONNRESET"), or null.</summary>
    public static string? Name(int wsaError) => Describe(wsaError).Name;

    /// <summary>
    /// Readable text for an errno the seam returned, in the words of Microsoft's "Windows Sockets
    /// Error Codes" page (mostly BSD's strerror wording). A passed-through Winsock code is named:
    /// "WSANOTINITIALISED: Successful WSAStartup not yet performed".
    /// </summary>
    public static string Text(int errno)
    {
        // A Winsock code that passed through unmapped is its own name.
        if (ToErrno(errno) == errno && Describe(errno) is (string name, string text)) return $"{name}: {text}";
        if (Describe(ToWsaError(errno)).Text is string posix) return posix;
        return errno >= WSABASEERR ? $"Winsock error {errno}"
            : errno == Errno.EPERM ? "Operation not permitted"
            : errno == Errno.EPROTO ? "Protocol error"
            : $"error {errno}";
    }

    private static (string? Name, string? Text) Describe(int wsaError) => wsaError switch
    {
        WSA_INVALID_HANDLE => ("WSA_INVALID_HANDLE", "Specified event object handle is invalid"),
        WSA_NOT_ENOUGH_MEMORY => ("WSA_NOT_ENOUGH_MEMORY", "Insufficient memory available"),
        WSA_INVALID_PARAMETER => ("WSA_INVALID_PARAMETER", "One or more parameters are invalid"),
        WSA_OPERATION_ABORTED => ("WSA_OPERATION_ABORTED", "Overlapped operation aborted"),
        WSAEINTR => ("WSAEINTR", "Interrupted function call"),
        WSAEBADF => ("WSAEBADF", "File handle is not valid"),
        WSAEACCES => ("WSAEACCES", "Permission denied"),
        WSAEFAULT => ("WSAEFAULT", "Bad address"),
        WSAEINVAL => ("WSAEINVAL", "Invalid argument"),
        WSAEMFILE => ("WSAEMFILE", "Too many open files"),
        WSAEWOULDBLOCK => ("WSAEWOULDBLOCK", "Resource temporarily unavailable"),
        WSAEINPROGRESS => ("WSAEINPROGRESS", "Operation now in progress"),
        WSAEALREADY => ("WSAEALREADY", "Operation already in progress"),
        WSAENOTSOCK => ("WSAENOTSOCK", "Socket operation on nonsocket"),
        WSAEDESTADDRREQ => ("WSAEDESTADDRREQ", "Destination address required"),
        WSAEMSGSIZE => ("WSAEMSGSIZE", "Message too long"),
        WSAEPROTOTYPE => ("WSAEPROTOTYPE", "Protocol wrong type for socket"),
        WSAENOPROTOOPT => ("WSAENOPROTOOPT", "Bad protocol option"),
        WSAEPROTONOSUPPORT => ("WSAEPROTONOSUPPORT", "Protocol not supported"),
        WSAESOCKTNOSUPPORT => ("WSAESOCKTNOSUPPORT", "Socket type not supported"),
        WSAEOPNOTSUPP => ("WSAEOPNOTSUPP", "Operation not supported"),
        WSAEPFNOSUPPORT => ("WSAEPFNOSUPPORT", "Protocol family not supported"),
        WSAEAFNOSUPPORT => ("WSAEAFNOSUPPORT", "Address family not supported by protocol family"),
        WSAEADDRINUSE => ("WSAEADDRINUSE", "Address already in use"),
        WSAEADDRNOTAVAIL => ("WSAEADDRNOTAVAIL", "Cannot assign requested address"),
        WSAENETDOWN => ("WSAENETDOWN", "Network is down"),
        WSAENETUNREACH => ("WSAENETUNREACH", "Network is unreachable"),
        WSAENETRESET => ("WSAENETRESET", "Network dropped connection on reset"),
        WSAECONNABORTED => ("WSAECONNABORTED", "Software caused connection abort"),
        WSAECONNRESET => ("WSAECONNRESET", "Connection reset by peer"),
        WSAENOBUFS => ("WSAENOBUFS", "No buffer space available"),
        WSAEISCONN => ("WSAEISCONN", "Socket is already connected"),
        WSAENOTCONN => ("WSAENOTCONN", "Socket is not connected"),
        WSAESHUTDOWN => ("WSAESHUTDOWN", "Cannot send after socket shutdown"),
        WSAETOOMANYREFS => ("WSAETOOMANYREFS", "Too many references"),
        WSAETIMEDOUT => ("WSAETIMEDOUT", "Connection timed out"),
        WSAECONNREFUSED => ("WSAECONNREFUSED", "Connection refused"),
        WSAELOOP => ("WSAELOOP", "Cannot translate name"),
        WSAENAMETOOLONG => ("WSAENAMETOOLONG", "Name too long"),
        WSAEHOSTDOWN => ("WSAEHOSTDOWN", "Host is down"),
        WSAEHOSTUNREACH => ("WSAEHOSTUNREACH", "No route to host"),
        WSAENOTEMPTY => ("WSAENOTEMPTY", "Directory not empty"),
        WSAEPROCLIM => ("WSAEPROCLIM", "Too many processes"),
        WSASYSNOTREADY => ("WSASYSNOTREADY", "Network subsystem is unavailable"),
        WSAVERNOTSUPPORTED => ("WSAVERNOTSUPPORTED", "Winsock.dll version out of range"),
        WSANOTINITIALISED => ("WSANOTINITIALISED", "Successful WSAStartup not yet performed"),
        WSAEDISCON => ("WSAEDISCON", "Graceful shutdown in progress"),
        _ => (null, null),
    };

    /// <summary>
    /// recvfrom's result in the seam's terms. Winsock has no MSG_TRUNC: a datagram longer than the
    /// buffer fails with WSAEMSGSIZE after filling it, and its real length is lost. The seam
    /// promises "a length above count means truncated", so report count + 1, the least such length.
    /// </summary>
    public static long RecvFromResult(int result, int wsaError, int count)
    {
        if (result >= 0) return result;
        if (wsaError == WSAEMSGSIZE) return (long)count + 1;
        return -ToErrno(wsaError);
    }
}
