using System.Reflection;
using RawSelect.Interop;
using RawSelect.Interop.Windows;

namespace RawSelect.Tests.Windows;

/// <summary>WSAE* codes to the seam's POSIX names, readable text, truncation, sockaddr encoding.</summary>
public unsafe class WinsockErrorsTests
{
    [Theory]
    [InlineData(Ws2_32.WSAEWOULDBLOCK, Errno.EAGAIN)]
    [InlineData(Ws2_32.WSAECONNRESET, Errno.ECONNRESET)]
    [InlineData(Ws2_32.WSAEMSGSIZE, Errno.EMSGSIZE)]
    [InlineData(Ws2_32.WSAEINTR, Errno.EINTR)]
    [InlineData(Ws2_32.WSAECONNABORTED, Errno.ECONNABORTED)]
    [InlineData(Ws2_32.WSAEADDRINUSE, Errno.EADDRINUSE)]
    [InlineData(Ws2_32.WSAEMFILE, Errno.EMFILE)]
    [InlineData(Ws2_32.WSAENOBUFS, Errno.ENOBUFS)]
    [InlineData(Ws2_32.WSAENOTSOCK, Errno.ENOTSOCK)]
    [InlineData(Ws2_32.WSAEINVAL, Errno.EINVAL)]
    [InlineData(Ws2_32.WSAEBADF, Errno.EBADF)]
    [InlineData(Ws2_32.WSAEACCES, Errno.EACCES)]
    [InlineData(Ws2_32.WSAEFAULT, Errno.EFAULT)]
    [InlineData(Ws2_32.WSAEADDRNOTAVAIL, Errno.EADDRNOTAVAIL)]
    [InlineData(Ws2_32.WSAEAFNOSUPPORT, Errno.EAFNOSUPPORT)]
    [InlineData(Ws2_32.WSAEOPNOTSUPP, Errno.EOPNOTSUPP)]
    [InlineData(Ws2_32.WSAENETDOWN, Errno.ENETDOWN)]
    [InlineData(Ws2_32.WSAENETUNREACH, Errno.ENETUNREACH)]
    [InlineData(Ws2_32.WSAENETRESET, Errno.ECONNRESET)]
    [InlineData(Ws2_32.WSAENOTCONN, Errno.ENOTCONN)]
    [InlineData(Ws2_32.WSAESHUTDOWN, Errno.EPIPE)]
    [InlineData(Ws2_32.WSAETIMEDOUT, Errno.ETIMEDOUT)]
    [InlineData(Ws2_32.WSAECONNREFUSED, Errno.ECONNREFUSED)]
    [InlineData(Ws2_32.WSAEHOSTUNREACH, Errno.EHOSTUNREACH)]
    [InlineData(Ws2_32.WSAEHOSTDOWN, Errno.EHOSTUNREACH)]
    [InlineData(Ws2_32.WSA_NOT_ENOUGH_MEMORY, Errno.ENOMEM)]
    [InlineData(Ws2_32.WSA_INVALID_HANDLE, Errno.EBADF)]
    [InlineData(Ws2_32.WSA_INVALID_PARAMETER, Errno.EINVAL)]
    public void Winsock_codes_become_the_POSIX_names_the_handlers_test(int wsa, int errno)
    {
        Assert.Equal(errno, WinsockErrors.ToErrno(wsa));
        // And back, to the code the text is taken from: the same code or one with the same meaning.
        Assert.Equal(errno, WinsockErrors.ToErrno(WinsockErrors.ToWsaError(errno)));
    }

    [Fact]
    public void Codes_without_a_POSIX_name_pass_through_and_are_still_named()
    {
        Assert.Equal(Ws2_32.WSANOTINITIALISED, WinsockErrors.ToErrno(Ws2_32.WSANOTINITIALISED));
        Assert.Null(Errno.Name(Ws2_32.WSANOTINITIALISED)); // no clash with any errno: all are below 134
        Assert.Equal("WSANOTINITIALISED: Successful WSAStartup not yet performed", WinsockErrors.Text(Ws2_32.WSANOTINITIALISED));
        Assert.Equal("Winsock error 11999", WinsockErrors.Text(11999));
    }

    [Fact]
    public void Every_Winsock_code_declared_has_a_name_and_a_text()
    {
        foreach (FieldInfo f in typeof(Ws2_32).GetFields(BindingFlags.Public | BindingFlags.Static)
                     .Where(f => f.IsLiteral && f.Name.StartsWith("WSA", StringComparison.Ordinal) && f.FieldType == typeof(int)
                                 && f.Name is not ("WSABASEERR" or "WSADESCRIPTION_LEN" or "WSASYS_STATUS_LEN")))
        {
            int code = (int)f.GetRawConstantValue()!;
            Assert.Equal(f.Name, WinsockErrors.Name(code));
            string text = WinsockErrors.Text(WinsockErrors.ToErrno(code));
            Assert.False(string.IsNullOrWhiteSpace(text));
            Assert.DoesNotContain("error ", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(Errno.ECONNRESET, "Connection reset by peer")]
    [InlineData(Errno.EAGAIN, "Resource temporarily unavailable")]
    [InlineData(Errno.EADDRINUSE, "Address already in use")]
    [InlineData(Errno.EMSGSIZE, "Message too long")]
    [InlineData(Errno.EMFILE, "Too many open files")]
    [InlineData(Errno.EPIPE, "Cannot send after socket shutdown")]
    public void ErrorText_is_Winsocks_wording(int errno, string text) => Assert.Equal(text, WinsockErrors.Text(errno));

    [Theory]
    [InlineData(5, 0, 100, 5)]                                    // a datagram that fit
    [InlineData(0, 0, 100, 0)]                                    // an empty one
    [InlineData(-1, Ws2_32.WSAEMSGSIZE, 100, 101)]                // cut short: "longer than count"
    [InlineData(-1, Ws2_32.WSAEWOULDBLOCK, 100, -Errno.EAGAIN)]
    [InlineData(-1, Ws2_32.WSAECONNRESET, 100, -Errno.ECONNRESET)]
    public void Recvfrom_results_in_the_seams_terms(int result, int wsa, int count, long expected) =>
        Assert.Equal(expected, WinsockErrors.RecvFromResult(result, wsa, count));

    [Fact]
    public void Sockaddr_in_encoding()
    {
        SockAddrStorage ss;
        int len = WinsockSockAddr.Write(NetAddress.IPv4(127, 0, 0, 1, 5000), &ss);
        Assert.Equal(16, len);
        byte[] expect = [2, 0, 0x13, 0x88, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expect, new ReadOnlySpan<byte>(&ss, 16).ToArray());
        Assert.Equal(NetAddress.IPv4(127, 0, 0, 1, 5000), WinsockSockAddr.Read(&ss));
    }

    [Fact]
    public void Sockaddr_in6_encoding_uses_AF_INET6_23()
    {
        SockAddrStorage ss;
        NetAddress a = NetAddress.IPv6Loopback(5000);
        a.ScopeId = 3;
        int len = WinsockSockAddr.Write(a, &ss);
        Assert.Equal(28, len);
        byte[] b = new ReadOnlySpan<byte>(&ss, 28).ToArray();
        Assert.Equal([23, 0, 0x13, 0x88, 0, 0, 0, 0], b[..8]);          // family 23 (Linux: 10), port, flowinfo
        Assert.Equal(1, b[23]);                                           // ::1
        Assert.Equal([3, 0, 0, 0], b[24..28]);                            // sin6_scope_id
        Assert.Equal(a, WinsockSockAddr.Read(&ss));
    }

    [Fact]
    public void An_unknown_family_reads_as_unspecified()
    {
        SockAddrStorage ss = default;
        ss.ss_family = 10; // Linux's AF_INET6 means nothing to Winsock
        Assert.Equal(AddressFamilyKind.Unspecified, WinsockSockAddr.Read(&ss).Family);
    }
}
