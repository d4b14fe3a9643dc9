using System.Net;
using Xunit;

namespace RawSelect.Tests.Integration;

/// <summary>UDP echo: every datagram comes back whole, from the socket it was sent to, up to the largest payload.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class UdpEchoTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1500)]
    [InlineData(65507)] // the largest IPv4 UDP payload: 65535 - 20 (IP) - 8 (UDP)
    public void IPv4_datagram_comes_back_intact(int size)
    {
        using var server = ServerProcess.Start(["--udp", "127.0.0.1:0", "--no-tcp"]);
        byte[] d = EchoClient.Random(size, seed: size + 1);
        byte[] got = EchoClient.UdpEcho(server.Udp, d);
        Assert.Equal(size, got.Length);
        Assert.Equal(EchoClient.Digest(d), EchoClient.Digest(got));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1500)]
    [InlineData(65507)]
    [InlineData(65527)] // the largest IPv6 UDP payload: 65535 - 8 (UDP); the IPv6 header is not counted
    public void IPv6_datagram_comes_back_intact(int size)
    {
        using var server = ServerProcess.Start(["--udp", "[::1]:0", "--no-tcp"]);
        Assert.Equal(IPAddress.IPv6Loopback, server.Udp.Address);
        byte[] d = EchoClient.Random(size, seed: size + 2);
        byte[] got = EchoClient.UdpEcho(server.Udp, d);
        Assert.Equal(size, got.Length);
        Assert.Equal(EchoClient.Digest(d), EchoClient.Digest(got));
    }

    [Theory]
    [MemberData(nameof(Backends.Each), MemberType = typeof(Backends))]
    public void Datagrams_of_every_size_in_a_row_each_come_back_whole_and_separate(string backend)
    {
        // One socket, one server, sizes alternating large and small: a reply must never carry
        // the tail of an earlier, larger datagram (the receive buffer is reused).
        using var server = ServerProcess.Start(["--udp", "127.0.0.1:0", "--no-tcp", .. Backends.Args(backend)]);
        int[] sizes = [65507, 0, 1, 1500, 65507, 3, 0, 9000];
        for (int i = 0; i < sizes.Length; i++)
        {
            byte[] d = EchoClient.Random(sizes[i], seed: 300 + i);
            byte[] got = EchoClient.UdpEcho(server.Udp, d);
            Assert.True(got.Length == d.Length, $"datagram {i}: sent {d.Length} bytes, got {got.Length}");
            Assert.Equal(EchoClient.Digest(d), EchoClient.Digest(got));
        }
    }
}
