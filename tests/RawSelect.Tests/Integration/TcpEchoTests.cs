using System.Net;
using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// TCP echo through the published binary over real loopback sockets: sizes, concurrency,
/// half-close, IPv6 and several listeners at once. Every byte is checked (SHA-256 digests, and
/// the streaming tests compare each byte with the pattern as it arrives).
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class TcpEchoTests
{
    private readonly ITestOutputHelper _out;

    public TcpEchoTests(ITestOutputHelper output) => _out = output;

    public static IEnumerable<object[]> SizesTimesBackends() => Backends.Times(1, 1024, 64 * 1024, 1024 * 1024, 4 * 1024 * 1024);

    [Theory]
    [MemberData(nameof(SizesTimesBackends))]
    public async Task Echoes_a_message_of_every_size_intact(int size, string backend)
    {
        using var server = ServerProcess.StartDefault(Backends.Args(backend));
        byte[] data = EchoClient.Random(size, seed: size);
        using Socket s = EchoClient.Connect(server.Tcp);

        byte[] got = await EchoClient.EchoAsync(s, data, halfClose: false);

        Assert.Equal(data.Length, got.Length);
        Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(got));
        Assert.False(server.HasExited, $"server exited; stderr: {server.Stderr}");
    }

    [Fact]
    public async Task Eight_connections_each_streaming_16_MiB_concurrently_get_every_byte_back()
    {
        const int Connections = 8;
        const long PerConnection = 16L * 1024 * 1024;
        using var server = ServerProcess.StartDefault("--log-level", "error");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sockets = Enumerable.Range(0, Connections).Select(_ => EchoClient.Connect(server.Tcp)).ToList();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // Each ends with a half-close, so the server must also flush and FIN all eight under load.
            EchoClient.StreamResult[] results = await Task.WhenAll(sockets.Select((s, i) =>
                EchoClient.StreamEchoAsync(s, PerConnection, seed: 1000 + i, halfClose: true, cts.Token)));
            _out.WriteLine($"{Connections} x {PerConnection >> 20} MiB echoed in {clock.Elapsed.TotalSeconds:0.00} s");

            for (int i = 0; i < Connections; i++)
            {
                EchoClient.StreamResult r = results[i];
                Assert.Equal(PerConnection, r.Sent);
                Assert.Equal(PerConnection, r.Received);
                Assert.Equal(r.SentDigest, r.ReceivedDigest);
                Assert.True(r.SawEof, $"connection {i}: no EOF from the server after the echo");
            }
        }
        finally
        {
            foreach (Socket s in sockets) s.Dispose();
        }
        Assert.False(server.HasExited, $"server exited; stderr: {server.Stderr}");
        Assert.Equal("", server.Stderr); // --log-level error: nothing went wrong, so nothing was said
    }

    // 300,000: more than the 64 KiB connection buffer.
    public static IEnumerable<object[]> HalfCloseSizesTimesBackends() => Backends.Times(0, 1, 300_000);

    [Theory]
    [MemberData(nameof(HalfCloseSizesTimesBackends))]
    public async Task Half_close_gets_the_whole_echo_then_EOF(int size, string backend)
    {
        using var server = ServerProcess.StartDefault(Backends.Args(backend));
        byte[] data = EchoClient.Random(size, seed: 7 + size);
        using Socket s = EchoClient.Connect(server.Tcp);

        // Reads until the server's EOF (a timeout fails the test).
        byte[] got = await EchoClient.EchoAsync(s, data, halfClose: true);

        Assert.Equal(data.Length, got.Length);
        Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(got));
    }

    [Theory]
    [MemberData(nameof(Backends.Each), MemberType = typeof(Backends))]
    public void Half_close_with_echo_still_buffered_everywhere_gets_all_of_it_then_EOF(string backend)
    {
        // The client writes without reading until the kernel refuses more: the server's buffer,
        // both socket buffers and the client's receive buffer are all full. Then it half-closes
        // and only then reads, slowly, so the server's sends keep blocking and it meets the EOF
        // with echo still in its buffer. It must flush everything it holds and what still
        // arrives before the FIN, then send its own FIN.
        using var server = ServerProcess.StartDefault(Backends.Args(backend));
        using Socket s = EchoClient.Connect(server.Tcp, receiveBufferSize: 4096);
        var pattern = new Pattern(seed: 42);
        (long sent, bool stalled) = EchoClient.FillUntilStalled(s, pattern,
            stall: TimeSpan.FromMilliseconds(300), maxTime: TimeSpan.FromSeconds(10), maxBytes: 256L << 20);
        Assert.True(stalled, $"the server took {sent} bytes without pushing back");
        _out.WriteLine($"in flight when the client half-closed: {sent} bytes");

        s.Shutdown(SocketShutdown.Send);
        using var verify = new StreamVerifier(seed: 42);
        EchoClient.ReceiveVerified(s, verify, sent, readSize: 32 * 1024, pauseMs: 1);
        var buf = new byte[16];
        Assert.Equal(0, s.Receive(buf)); // EOF, not more bytes and not a timeout
    }

    [Fact]
    public async Task Half_close_while_the_server_holds_megabytes_of_echo_gets_all_of_it_then_EOF()
    {
        // With an 8 MiB connection buffer the server absorbs 3 MiB from a client that does not
        // read yet (and whose receive buffer is tiny), so it meets the EOF with most of the echo
        // still in its own buffer. That echo must still go out, followed by the FIN; it must not
        // be dropped with the connection.
        using var server = ServerProcess.StartDefault("--buffer-size", "8M");
        using Socket s = EchoClient.Connect(server.Tcp, receiveBufferSize: 4096);
        byte[] data = EchoClient.Random(3 << 20, seed: 33);
        Task send = Task.Run(() =>
        {
            int off = 0;
            while (off < data.Length) off += s.Send(data, off, data.Length - off, SocketFlags.None);
            s.Shutdown(SocketShutdown.Send);
        });
        Assert.True(await Task.WhenAny(send, Task.Delay(10_000)) == send, "the server did not take 3 MiB into an 8 MiB buffer");
        await send;
        await Task.Delay(200); // the server reads the EOF while it still holds echo

        byte[] got = await EchoClient.EchoAsync(s, [], halfClose: true); // reads to EOF
        Assert.Equal(data.Length, got.Length);
        Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(got));
    }

    [Fact]
    public async Task Echoes_over_IPv6_loopback()
    {
        using var server = ServerProcess.Start(["--tcp", "[::1]:0", "--no-udp"]);
        IPEndPoint ep = server.Tcp;
        Assert.Equal(IPAddress.IPv6Loopback, ep.Address);
        Assert.NotEqual(0, ep.Port);
        Assert.Contains($"listening tcp [::1]:{ep.Port}", server.Stdout);

        byte[] data = EchoClient.Random(256 * 1024, seed: 6);
        using Socket s = EchoClient.Connect(ep);
        byte[] got = await EchoClient.EchoAsync(s, data, halfClose: true);
        Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(got));
    }

    [Fact]
    public async Task Two_tcp_and_two_udp_listeners_all_echo_at_once()
    {
        using var server = ServerProcess.Start(
            ["--tcp", "127.0.0.1:0", "--tcp", "[::1]:0", "--udp", "127.0.0.1:0", "--udp", "[::1]:0"]);
        var tcp = server.Listening.Where(l => l.Proto == "tcp").Select(l => l.EndPoint).ToList();
        var udp = server.Listening.Where(l => l.Proto == "udp").Select(l => l.EndPoint).ToList();
        Assert.Equal(2, tcp.Count);
        Assert.Equal(2, udp.Count);
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], tcp.Select(e => e.Address));
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], udp.Select(e => e.Address));
        Assert.All(server.Listening, l => Assert.NotEqual(0, l.EndPoint.Port));

        // Both TCP connections stay open and are served in turns, then concurrently.
        using Socket a = EchoClient.Connect(tcp[0]);
        using Socket b = EchoClient.Connect(tcp[1]);
        for (int round = 0; round < 3; round++)
        {
            foreach ((Socket s, int k) in new[] { (a, 0), (b, 1) })
            {
                byte[] msg = EchoClient.Random(1000 + round, seed: round * 2 + k);
                byte[] got = await EchoClient.EchoAsync(s, msg, halfClose: false);
                Assert.Equal(EchoClient.Digest(msg), EchoClient.Digest(got));
            }
            foreach (IPEndPoint u in udp)
            {
                byte[] d = EchoClient.Random(512 + round, seed: 100 + round + u.Port);
                Assert.Equal(EchoClient.Digest(d), EchoClient.Digest(EchoClient.UdpEcho(u, d)));
            }
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        EchoClient.StreamResult[] r = await Task.WhenAll(
            EchoClient.StreamEchoAsync(a, 2 << 20, seed: 1, halfClose: true, cts.Token),
            EchoClient.StreamEchoAsync(b, 2 << 20, seed: 2, halfClose: true, cts.Token));
        Assert.All(r, x => Assert.Equal(x.SentDigest, x.ReceivedDigest));
        Assert.All(r, x => Assert.True(x.SawEof));
    }
}
