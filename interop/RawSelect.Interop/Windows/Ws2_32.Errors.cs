namespace RawSelect.Interop.Windows;

// Winsock error codes (winsock2.h, winerror.h; "Windows Sockets Error Codes" in the Winsock
// reference). WSABASEERR is 10000 and most codes are it plus the BSD errno, so none of them
// collides with a Linux errno (all below 134). WinsockErrors maps them onto Errno.
public static partial class Ws2_32
{
    public const int WSA_INVALID_HANDLE = 6;         // ERROR_INVALID_HANDLE
    public const int WSA_NOT_ENOUGH_MEMORY = 8;      // ERROR_NOT_ENOUGH_MEMORY
    public const int WSA_INVALID_PARAMETER = 87;     // ERROR_INVALID_PARAMETER
    public const int WSA_OPERATION_ABORTED = 995;    // ERROR_OPERATION_ABORTED

    public const int WSABASEERR = 10000;
    public const int WSAEINTR = 10004;
    public const int WSAEBADF = 10009;
    public const int WSAEACCES = 10013;
    public const int WSAEFAULT = 10014;
    public const int WSAEINVAL = 10022;
    public const int WSAEMFILE = 10024;
    public const int WSAEWOULDBLOCK = 10035;
    public const int WSAEINPROGRESS = 10036;
    public const int WSAEALREADY = 10037;
    public const int WSAENOTSOCK = 10038;
    public const int WSAEDESTADDRREQ = 10039;
    public const int WSAEMSGSIZE = 10040;
    public const int WSAEPROTOTYPE = 10041;
    public const int WSAENOPROTOOPT = 10042;
    public const int WSAEPROTONOSUPPORT = 10043;
    public const int WSAESOCKTNOSUPPORT = 10044;
    public const int WSAEOPNOTSUPP = 10045;
    public const int WSAEPFNOSUPPORT = 10046;
    public const int WSAEAFNOSUPPORT = 10047;
    public const int WSAEADDRINUSE = 10048;
    public const int WSAEADDRNOTAVAIL = 10049;
    public const int WSAENETDOWN = 10050;
    public const int WSAENETUNREACH = 10051;
    public const int WSAENETRESET = 10052;
    public const int WSAECONNABORTED = 10053;
    public const int WSAECONNRESET = 10054;
    public const int WSAENOBUFS = 10055;
    public const int WSAEISCONN = 10056;
    public const int WSAENOTCONN = 10057;
    public const int WSAESHUTDOWN = 10058;
    public const int WSAETOOMANYREFS = 10059;
    public const int WSAETIMEDOUT = 10060;
    public const int WSAECONNREFUSED = 10061;
    public const int WSAELOOP = 10062;
    public const int WSAENAMETOOLONG = 10063;
    public const int WSAEHOSTDOWN = 10064;
    public const int WSAEHOSTUNREACH = 10065;
    public const int WSAENOTEMPTY = 10066;
    public const int WSAEPROCLIM = 10067;
    public const int WSASYSNOTREADY = 10091;
    public const int WSAVERNOTSUPPORTED = 10092;
    public const int WSANOTINITIALISED = 10093;
    public const int WSAEDISCON = 10101;
}
