using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace RawSelect.Tests.Windows;

/// <summary>Start, stop and failure under Wine: Ctrl+C, IPv6, a taken port, a bad argument, a backend Windows lacks.</summary>
[Collection(WineCollection.Name)]
public sealed class WineLifecycleTests : IClassFixture<WinePrefixUser>
{
    private readonly WinePrefixUser _prefix;
    private readonly ITestOutputHelper _out;

    public WineLifecycleTests(WinePrefixUser prefix, ITestOutputHelper output)
    {
        _prefix = prefix;
        _out = output;
    }

    [WineFact]
    public void Ctrl_C_with_clients_connected_exits_0_promptly_and_the_trace_shows_Winsock_select()
    {
        _prefix.Prefix.EnsureReady();
        using WineServer server = WineServer.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--trace"], 2, TimeSpan.FromSeconds(90));
        using Socket a = Clients.Connect(server.Tcp), b = Clients.Connect(server.Tcp);
        Assert.Equal("x"u8.ToArray(), Clients.RoundTrip(a, "x"u8.ToArray()));
        Assert.Equal("y"u8.ToArray(), Clients.RoundTrip(b, "y"u8.ToArray()));

        // PosixSignalRegistration(SIGINT) is a console control handler on Windows; Wine turns
        // SIGINT into CTRL_C_EVENT. The handler only wakes the loop (through the UDP wake-up
        // pair), which then shuts down in order.
        var sw = Stopwatch.StartNew();
        int? code = server.StopWithCtrlC(TimeSpan.FromSeconds(10));
        TimingLog.Write(_out, $"Ctrl+C to exit under Wine: {sw.ElapsedMilliseconds} ms");
        string err = server.Stderr;
        Assert.True(code == 0, $"exit code {code?.ToString() ?? "none within 10 s"}; stderr:\n{err}");
        Assert.Contains("stopping: 2 connections open", err);
        // The Winsock backend's trace: socket counts, no nfds.
        Assert.Matches(@"trace: t=\d+ select sockets=", err);
        Assert.DoesNotContain("nfds=", err);
        Assert.Equal(0, a.Receive(new byte[1])); // closed in order, not reset
    }

    [WineFact]
    public void IPv6_echo_over_loopback_with_AF_INET6_23()
    {
        // Winsock's AF_INET6 is 23 (Linux: 10): a wrong sockaddr_in6 would fail to bind or
        // misread every peer. Both protocols over [::1], end to end.
        _prefix.Prefix.EnsureReady();
        using WineServer server = WineServer.Start(["--tcp", "[::1]:0", "--udp", "[::1]:0"], 2, TimeSpan.FromSeconds(90));
        Assert.StartsWith("[::1]:", server.Tcp.ToString());
        using Socket c = Clients.Connect(server.Tcp);
        Assert.Equal("six"u8.ToArray(), Clients.RoundTrip(c, "six"u8.ToArray()));
        byte[] d = Clients.Random(1500, seed: 6);
        Assert.Equal(d, Clients.UdpEcho(server.Udp, d));
    }

    [WineFact]
    public void A_taken_port_exits_1_naming_the_address_and_the_reason()
    {
        _prefix.Prefix.EnsureReady();
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var ep = (IPEndPoint)taken.LocalEndPoint!;

        (int code, _, string err) = WineServer.RunToExit(TimeSpan.FromSeconds(60), "--tcp", ep.ToString(), "--no-udp");
        Assert.True(code == 1, $"exit code {code}; stderr: {err}");
        // WSAEADDRINUSE, in the seam's vocabulary, with Winsock's text.
        Assert.Contains($"cannot bind tcp {ep}", err);
        Assert.Contains("EADDRINUSE", err);
        Assert.Contains("Address already in use", err);
    }

    [WineFact]
    public void A_bad_argument_exits_2()
    {
        _prefix.Prefix.EnsureReady();
        (int code, _, string err) = WineServer.RunToExit(TimeSpan.FromSeconds(60), "--tcp", "nowhere:5000");
        Assert.True(code == 2, $"exit code {code}; stderr: {err}");
        Assert.Contains("nowhere:5000", err);
    }

    [WineFact]
    public void Poll_or_epoll_on_Windows_exits_2_naming_the_backend_and_select_still_runs()
    {
        _prefix.Prefix.EnsureReady();
        foreach (string backend in new[] { "poll", "epoll" })
        {
            (int code, string stdout, string err) = WineServer.RunToExit(TimeSpan.FromSeconds(60), "--backend", backend, "--tcp", "127.0.0.1:0", "--no-udp");
            Assert.True(code == 2, $"--backend {backend}: exit code {code}; stderr: {err}");
            Assert.Equal("", stdout);
            Assert.Equal($"rawselect: --backend {backend} is not available on Windows (only select)", err.TrimEnd('\r', '\n'));
        }
        using WineServer server = WineServer.Start(["--backend", "select", "--tcp", "127.0.0.1:0", "--no-udp"], 1, TimeSpan.FromSeconds(90));
        using Socket c = Clients.Connect(server.Tcp);
        Assert.Equal("s"u8.ToArray(), Clients.RoundTrip(c, "s"u8.ToArray()));
        Assert.Contains("backend=select", server.WaitForStderr("serving:", TimeSpan.FromSeconds(30)));
    }

    [WineFact]
    public void Loops_above_1_on_Windows_exits_2_with_the_reason_and_loops_1_still_runs()
    {
        _prefix.Prefix.EnsureReady();
        (int code, string stdout, string err) = WineServer.RunToExit(TimeSpan.FromSeconds(60), "--loops", "2", "--tcp", "127.0.0.1:0", "--no-udp");
        Assert.True(code == 2, $"--loops 2: exit code {code}; stderr: {err}");
        Assert.Equal("", stdout);
        Assert.Equal("rawselect: --loops 2 is not available on Windows: Winsock has no SO_REUSEPORT to share a port between loops, and threads have no descriptor tables of their own (only --loops 1)",
            err.TrimEnd('\r', '\n'));
        using WineServer server = WineServer.Start(["--loops", "1", "--tcp", "127.0.0.1:0", "--no-udp"], 1, TimeSpan.FromSeconds(90));
        using Socket c = Clients.Connect(server.Tcp);
        Assert.Equal("l"u8.ToArray(), Clients.RoundTrip(c, "l"u8.ToArray()));
        string serving = server.WaitForStderr("serving:", TimeSpan.FromSeconds(30));
        Assert.Contains(" loops=1 ", serving);
        Assert.DoesNotContain("fd-table=", serving);
    }
}
