using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Unit;

public unsafe class AddressTests
{
    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("localhost:6000", "127.0.0.1:6000")]
    [InlineData("0.0.0.0:0", "0.0.0.0:0")]
    [InlineData("255.255.255.255:65535", "255.255.255.255:65535")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData("[::]:5000", "[::]:5000")]
    [InlineData("[2001:db8:0:0:1:0:0:1]:1", "[2001:db8::1:0:0:1]:1")]
    [InlineData("[2001:0db8:0000:0000:0000:ff00:0042:8329]:80", "[2001:db8::ff00:42:8329]:80")]
    [InlineData("[fe80::1:2]:9", "[fe80::1:2]:9")]
    [InlineData("[::ffff:10.0.0.1]:7", "[::ffff:10.0.0.1]:7")]
    [InlineData("[1:2:3:4:5:6:7:8]:7", "[1:2:3:4:5:6:7:8]:7")]
    [InlineData("[1::]:7", "[1::]:7")]
    public void Parses_and_formats_round_trip(string text, string formatted)
    {
        Assert.True(ListenAddress.TryParse(text, out NetAddress a, out string err), err);
        Assert.Equal(formatted, a.ToString());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:5x")]
    [InlineData("127.1:5000")]
    [InlineData("127.0.0.01:5000")]
    [InlineData("256.0.0.1:5000")]
    [InlineData("1.2.3.4.5:5000")]
    [InlineData("example.com:5000")]
    [InlineData("::1:5000")]
    [InlineData("[::1:5000")]
    [InlineData("[1:2:3:4:5:6:7:8:9]:5")]
    [InlineData("[1::2::3]:5")]
    [InlineData("[12345::]:5")]
    [InlineData("[:1]:5")]
    [InlineData("[1:]:5")]
    [InlineData("[]:5")]
    [InlineData(":5000")]
    [InlineData("")]
    public void Rejects_malformed_addresses(string text) =>
        Assert.False(ListenAddress.TryParse(text, out _, out _));

    [Fact]
    public void Encodes_sockaddr_in_in_network_order()
    {
        NetAddress a = NetAddress.IPv4(192, 168, 1, 2, 5000);
        SockAddrStorage ss;
        uint len = UnixSocketApi.ToSockAddr(a, &ss);
        Assert.Equal((uint)sizeof(SockAddrIn), len);
        byte* b = (byte*)&ss;
        Assert.Equal(Libc.AF_INET, *(ushort*)b);
        Assert.Equal(new byte[] { 0x13, 0x88 }, new[] { b[2], b[3] }); // 5000 big-endian
        Assert.Equal(new byte[] { 192, 168, 1, 2 }, new[] { b[4], b[5], b[6], b[7] });
        Assert.Equal(a, UnixSocketApi.FromSockAddr(&ss));
    }

    [Fact]
    public void Encodes_sockaddr_in6_in_network_order()
    {
        Assert.True(ListenAddress.TryParse("[2001:db8::7]:443", out NetAddress a, out _));
        a.ScopeId = 3;
        SockAddrStorage ss;
        uint len = UnixSocketApi.ToSockAddr(a, &ss);
        Assert.Equal((uint)sizeof(SockAddrIn6), len);
        byte* b = (byte*)&ss;
        Assert.Equal(Libc.AF_INET6, *(ushort*)b);
        Assert.Equal(new byte[] { 0x01, 0xbb }, new[] { b[2], b[3] });
        Assert.Equal(0x20, b[8]);
        Assert.Equal(0x01, b[9]);
        Assert.Equal(0x0d, b[10]);
        Assert.Equal(0xb8, b[11]);
        Assert.Equal(7, b[23]);
        Assert.Equal(3u, *(uint*)(b + 24));
        Assert.Equal(a, UnixSocketApi.FromSockAddr(&ss));
    }

    [Theory]
    [InlineData("224.0.0.1:1", true)]
    [InlineData("239.255.255.250:1900", true)]
    [InlineData("255.255.255.255:1", true)]
    [InlineData("127.0.0.1:1", false)]
    [InlineData("[ff02::1]:1", true)]
    [InlineData("[::ffff:224.0.0.5]:1", true)]
    [InlineData("[::1]:1", false)]
    public void Knows_broadcast_and_multicast_sources(string text, bool expected)
    {
        Assert.True(ListenAddress.TryParse(text, out NetAddress a, out _));
        Assert.Equal(expected, a.IsBroadcastOrMulticast);
    }

    [Theory]
    [InlineData(0, true)] [InlineData(7, true)] [InlineData(9, true)] [InlineData(13, true)]
    [InlineData(17, true)] [InlineData(19, true)] [InlineData(37, true)]
    [InlineData(1, false)] [InlineData(53, false)] [InlineData(40000, false)]
    public void Knows_service_source_ports(int port, bool expected) =>
        Assert.Equal(expected, UdpSourceFilter.IsServicePort((ushort)port));
}
