using System.Diagnostics;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace RawSelect.Tests.Windows;

/// <summary>
/// The Windows build under Wine, echoing for real: Winsock calls mapped by Wine onto the host's
/// loopback sockets, a Linux client on the other end. One server for the whole class.
/// </summary>
[Collection(WineCollection.Name)]
public sealed class WineEchoTests : IClassFixture<DefaultWineServer>
{
    private readonly DefaultWineServer _fx;
    private readonly ITestOutputHelper _out;

    public WineEchoTests(DefaultWineServer fx, ITestOutputHelper output)
    {
        _fx = fx;
        _out = output;
    }

    private WineServer Server => _fx.Server;

    [WineFact]
    public void Starts_under_Wine_and_reports_how_long_that_took()
    {
        WineServer s = Server;
        if (_fx.Prefix.WinebootTime is TimeSpan boot)
            TimingLog.Write(_out, $"wineboot --init (fresh prefix): {boot.TotalSeconds:0.0} s");
        if (_fx.Prefix.WarmUpTime is TimeSpan warm)
            TimingLog.Write(_out, $"Wine session warm-up (cmd.exe /c exit, starts Wine's services): {warm.TotalSeconds:0.0} s");
        TimingLog.Write(_out, $"rawselect.exe under Wine: exec to listening lines {s.StartupTime.TotalMilliseconds:0} ms");
        Assert.Equal(["tcp", "udp"], s.Listening.Select(l => l.Proto));
        Assert.All(s.Listening, l => Assert.NotEqual(0, l.EndPoint.Port));
    }

    [WineFact]
    public void Tcp_echo_comes_back_and_the_backend_is_Winsock()
    {
        using Socket c = Clients.Connect(Server.Tcp);
        byte[] hello = "hello from Linux to Winsock\n"u8.ToArray();
        Assert.Equal(hello, Clients.RoundTrip(c, hello));
        // Only the Winsock seam reports the 2^24 handle ceiling as its descriptor limit; the libc
        // one reports RLIMIT_NOFILE. So the platform choice really happened.
        Assert.Contains("fd-setsize=16384 descriptor-limit=16777216", Server.WaitForStderr("serving:", TimeSpan.FromSeconds(30)));
    }

    [WineFact]
    public async Task Four_MiB_echo_arrives_intact()
    {
        byte[] data = Clients.Random(4 << 20, seed: 5);
        using Socket c = Clients.Connect(Server.Tcp);
        var sw = Stopwatch.StartNew();
        byte[] got = await Clients.EchoAsync(c, data, halfClose: false);
        TimingLog.Write(_out, $"4 MiB echo under Wine: {sw.ElapsedMilliseconds} ms");
        Assert.Equal(data.Length, got.Length);
        Assert.Equal(Clients.Digest(data), Clients.Digest(got));
    }

    [WineFact]
    public async Task Half_close_gets_the_rest_of_the_echo_then_eof()
    {
        byte[] data = Clients.Random(300_000, seed: 7);
        using Socket c = Clients.Connect(Server.Tcp);
        // EchoAsync with halfClose reads until the server's FIN: the whole echo, then EOF.
        byte[] got = await Clients.EchoAsync(c, data, halfClose: true);
        Assert.Equal(Clients.Digest(data), Clients.Digest(got));
    }

    [WineTheory]
    [InlineData(0)]
    [InlineData(1500)]
    [InlineData(65507)]
    public void Udp_datagrams_come_back_whole(int size)
    {
        byte[] d = Clients.Random(size, seed: size);
        byte[] back = Clients.UdpEcho(Server.Udp, d);
        Assert.Equal(size, back.Length);
        Assert.Equal(Clients.Digest(d), Clients.Digest(back));
    }

    [WineFact]
    public async Task Two_clients_at_once_each_get_their_own_bytes()
    {
        byte[] a = Clients.Random(1 << 20, seed: 1), b = Clients.Random(1 << 20, seed: 2);
        using Socket ca = Clients.Connect(Server.Tcp), cb = Clients.Connect(Server.Tcp);
        byte[][] got = await Task.WhenAll(Clients.EchoAsync(ca, a, halfClose: false), Clients.EchoAsync(cb, b, halfClose: false));
        Assert.Equal(Clients.Digest(a), Clients.Digest(got[0]));
        Assert.Equal(Clients.Digest(b), Clients.Digest(got[1]));
    }

    [WineFact]
    public void A_client_that_vanishes_does_not_stop_UDP()
    {
        // An echo to a port nobody listens on draws an ICMP port-unreachable. Without
        // SIO_UDP_CONNRESET = FALSE, Windows would fail the server's next recvfrom with
        // WSAECONNRESET; here the next client is simply served. Wine does not reproduce that
        // Windows behaviour (Linux reports no ICMP errors to unconnected UDP sockets), so under
        // Wine this shows only that the server keeps serving; on Windows it tests the ioctl.
        using (var gone = new Socket(SocketType.Dgram, ProtocolType.Udp))
        {
            gone.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            gone.SendTo(new byte[10], Server.Udp);
        }
        Thread.Sleep(200);
        byte[] d = Clients.Random(100, seed: 3);
        Assert.Equal(d, Clients.UdpEcho(Server.Udp, d));
    }
}
