using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// UDP abuse on the real binary: datagrams from well-known service ports (the echo/chargen
/// reflection loop, CERT CA-1996-01) are dropped and counted unless --allow-service-ports; a
/// burst of thousands of datagrams is drained in bounded batches while a TCP client keeps its
/// round trips short; replies to ports that closed meanwhile (ICMP port unreachable) hurt nobody.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class UdpAbuseTests
{
    private readonly ITestOutputHelper _out;

    public UdpAbuseTests(ITestOutputHelper output) => _out = output;

    /// <summary>Binds 127.0.0.1:port (a privileged port: root only) and sends one datagram; returns the reply or null.</summary>
    private static byte[]? SendFromPort(IPEndPoint server, int port, byte[] payload, int waitMs)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(IPAddress.Loopback, port));
        s.ReceiveTimeout = waitMs;
        s.SendTo(payload, server);
        var buf = new byte[65536];
        try
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = s.ReceiveFrom(buf, ref from);
            return buf.AsSpan(0, n).ToArray();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    [Fact]
    public void Datagrams_from_service_ports_7_and_19_are_dropped_and_counted()
    {
        Assert.True(Robust.IsRoot, "binding source ports 7 and 19 needs root (CI runs as root)");
        using var server = ServerProcess.StartDefault("--log-level", "info");
        byte[] hello = "echo? chargen?"u8.ToArray();

        Assert.Null(SendFromPort(server.Udp, 7, hello, 500));
        Assert.Null(SendFromPort(server.Udp, 19, hello, 500));

        // The same datagram from an ordinary port is echoed: only the source port made the difference.
        Assert.Equal(hello, EchoClient.UdpEcho(server.Udp, hello));
        Dictionary<string, long> c = Robust.Counters(server);
        Assert.Equal(2, c["udp_dropped_service_port"]);
        Assert.Equal(3, c["udp_datagrams_in"]);
        Assert.Equal(1, c["udp_datagrams_out"]);
        Assert.Contains("dropped: from a service port", server.Stderr); // logged (rate-limited)
    }

    [Fact]
    public void Allow_service_ports_echoes_a_datagram_from_port_7()
    {
        Assert.True(Robust.IsRoot, "binding source port 7 needs root (CI runs as root)");
        using var server = ServerProcess.StartDefault("--allow-service-ports", "--log-level", "info");
        byte[] hello = "from port 7"u8.ToArray();
        byte[]? reply = SendFromPort(server.Udp, 7, hello, 2000) ?? SendFromPort(server.Udp, 7, hello, 2000);
        Assert.Equal(hello, reply);
        Dictionary<string, long> c = Robust.Counters(server);
        Assert.Equal(0, c["udp_dropped_service_port"]);
    }

    /// <summary>
    /// 20,000 datagrams sent as fast as one thread can (far more than the socket buffer holds:
    /// the kernel drops the excess, which is not the server's doing), while a TCP client makes
    /// round trips every few ms. The server drains at most 64 datagrams per wake-up, so the TCP
    /// client's slowest round trip stays short; every reply that arrives is intact.
    /// </summary>
    [Fact]
    public void A_burst_of_datagrams_is_drained_while_a_tcp_client_keeps_short_round_trips()
    {
        const int Datagrams = 20_000;
        using var server = ServerProcess.StartDefault("--log-level", "info");
        using var steady = SteadyClient.Start(server.Tcp);
        Thread.Sleep(200);
        long echoesBefore = steady.Echoes;

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        udp.ReceiveBufferSize = 4 << 20;
        int received = 0, bad = 0;
        var receiver = new Thread(() =>
        {
            var buf = new byte[65536];
            udp.ReceiveTimeout = 1000;
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            while (true)
            {
                int n;
                try { n = udp.ReceiveFrom(buf, ref from); }
                catch (SocketException) { return; } // a second of silence: the burst is over
                if (n < 4 || !buf.AsSpan(0, n).SequenceEqual(Payload(BinaryPrimitives.ReadInt32LittleEndian(buf)))) bad++;
                else received++;
            }
        });
        receiver.Start();

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Datagrams; i++) udp.SendTo(Payload(i), server.Udp);
        TimeSpan sending = clock.Elapsed;
        // The burst is over when no reply has come for a second.
        Assert.True(receiver.Join(TimeSpan.FromSeconds(30)), "replies kept coming for 30 s");
        long echoesDuring = steady.Echoes - echoesBefore;
        TimeSpan slowest = steady.MaxLatency;
        steady.Stop();

        Dictionary<string, long> c = Robust.Counters(server);
        _out.WriteLine($"{Datagrams} datagrams sent in {sending.TotalMilliseconds:0} ms; server took {c["udp_datagrams_in"]}, " +
            $"echoed {c["udp_datagrams_out"]}; {received} replies received intact, {bad} bad; " +
            $"TCP client: {echoesDuring} round trips meanwhile, slowest {slowest.TotalMilliseconds:0.0} ms; select calls {c["select_calls"]}");
        Assert.Equal(0, bad);
        Assert.True(c["udp_datagrams_in"] >= 1000, $"the server read only {c["udp_datagrams_in"]} datagrams of the burst");
        Assert.True(received >= 1000, $"only {received} replies came back");
        Assert.Equal(c["udp_datagrams_in"], c["udp_datagrams_out"] + c["udp_dropped_send_error"]);
        Assert.True(echoesDuring >= 20, $"the TCP client made only {echoesDuring} round trips during the burst");
        Assert.True(slowest < TimeSpan.FromMilliseconds(250), $"a TCP round trip took {slowest.TotalMilliseconds:0} ms during the burst");
        Assert.Equal(Payload(7), EchoClient.UdpEcho(server.Udp, Payload(7)));
    }

    private static byte[] Payload(int i)
    {
        var b = new byte[64 + i % 1200];
        new Random(i).NextBytes(b);
        BinaryPrimitives.WriteInt32LittleEndian(b, i);
        return b;
    }

    /// <summary>
    /// Replies to senders whose socket is already gone draw ICMP port-unreachable errors on the
    /// server's socket. However the kernel reports them, the server goes on echoing everyone else.
    /// </summary>
    [Fact]
    public void Replies_to_closed_ports_do_not_disturb_the_server()
    {
        using var server = ServerProcess.StartDefault("--log-level", "info");
        for (int i = 0; i < 200; i++)
        {
            using var gone = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            gone.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            gone.SendTo(Payload(i), server.Udp);
        } // closed at once: each reply meets a closed port
        Thread.Sleep(300);
        Assert.Equal(Payload(1), EchoClient.UdpEcho(server.Udp, Payload(1)));
        Dictionary<string, long> c = Robust.Counters(server);
        _out.WriteLine(Robust.Format(c));
        Assert.Equal(201, c["udp_datagrams_in"]);
        Assert.False(server.HasExited);
    }
}
