using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// Socket activation for real: systemd-socket-activate binds, waits for the first client, then
/// execs the binary with LISTEN_PID/LISTEN_FDS, as systemd does for rawselect.socket.
/// </summary>
[Collection(IntegrationCollection.Name)]
public class SocketActivationTests
{
    private readonly ITestOutputHelper _out;

    public SocketActivationTests(ITestOutputHelper output) => _out = output;

    private static string Launcher =>
        Activation.SocketActivatePath ?? throw new InvalidOperationException(
            "systemd-socket-activate is missing: scripts/setup.sh installs Debian's systemd package, which ships it");

    private static byte[] Echo(Socket s, string text)
    {
        byte[] msg = System.Text.Encoding.ASCII.GetBytes(text);
        s.Send(msg);
        var got = new byte[msg.Length];
        int n = 0;
        while (n < got.Length) { int r = s.Receive(got, n, got.Length - n, SocketFlags.None); if (r == 0) break; n += r; }
        return got[..n];
    }

    private void AssertCleanStop(ServerProcess server, int listeningLines)
    {
        int? code = server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5));
        _out.WriteLine(server.Stdout);
        _out.WriteLine(server.Stderr);
        Assert.Equal(0, code);
        // Exactly the passed sockets' lines (and any explicit ones): the defaults were not bound.
        Assert.Equal(listeningLines, server.Stdout.Split('\n').Count(l => l.StartsWith("listening ")));
        SignalTests.AssertNoCrash(server.Stderr);
    }

    [Fact]
    public void A_passed_tcp_listener_is_served_instead_of_the_defaults()
    {
        int port = Activation.FreePort(tcp: true);
        var ep = new IPEndPoint(IPAddress.Loopback, port);
        Socket? client = null;
        using var server = ServerProcess.StartVia(Launcher, ["-l", $"127.0.0.1:{port}", ServerProcess.BinaryPath], [],
            expectedSockets: 1, kick: () => client = Activation.ConnectRetrying(ep));
        using Socket c = client!;

        Assert.Equal(("tcp", ep), Assert.Single(server.Listening));
        Assert.Equal("hello over a passed socket\n"u8.ToArray(), Echo(c, "hello over a passed socket\n"));
        int flags = Activation.FdFlags(server.Pid, 3);
        Assert.True((flags & Activation.O_CLOEXEC) != 0, $"fd 3 flags {Convert.ToString(flags, 8)}: no O_CLOEXEC");
        Assert.True((flags & Activation.O_NONBLOCK) != 0, $"fd 3 flags {Convert.ToString(flags, 8)}: no O_NONBLOCK");
        using (var second = EchoClient.Connect(ep)) Assert.Equal("two"u8.ToArray(), Echo(second, "two"));
        c.Close();
        AssertCleanStop(server, 1);
    }

    [Fact]
    public void A_passed_udp_socket_is_served_and_the_datagram_that_woke_it_is_echoed()
    {
        int port = Activation.FreePort(tcp: false);
        var ep = new IPEndPoint(IPAddress.Loopback, port);
        using var server = ServerProcess.StartVia(Launcher, ["--datagram", "-l", $"127.0.0.1:{port}", ServerProcess.BinaryPath], [],
            expectedSockets: 1, kick: () => Activation.UdpKick(ep));

        Assert.Equal(("udp", ep), Assert.Single(server.Listening));
        byte[] big = EchoClient.Random(65507, 7);
        Assert.Equal(big, EchoClient.UdpEcho(ep, big));
        AssertCleanStop(server, 1);
    }

    /// <summary>
    /// TCP and UDP at once: systemd-socket-activate passes on what it was itself passed, so one
    /// inside the other hands over a datagram socket (fd 3) and a stream listener (fd 4). An
    /// explicit --tcp is bound beside them, its line after theirs.
    /// </summary>
    [Fact]
    public void Tcp_and_udp_passed_together_and_an_explicit_listener_beside_them()
    {
        int udpPort = Activation.FreePort(tcp: false), tcpPort = Activation.FreePort(tcp: true);
        var udp = new IPEndPoint(IPAddress.Loopback, udpPort);
        var tcp = new IPEndPoint(IPAddress.Loopback, tcpPort);
        using var server = ServerProcess.StartVia(Launcher,
            ["--datagram", "-l", $"127.0.0.1:{udpPort}", Launcher, "-l", $"127.0.0.1:{tcpPort}", ServerProcess.BinaryPath],
            ["--tcp", "127.0.0.1:0"], expectedSockets: 3,
            kick: () =>
            {
                Activation.UdpKick(udp);     // wakes the outer launcher, which execs the inner
                using Socket _ = Activation.ConnectRetrying(tcp); // wakes the inner, which execs the server
            });

        Assert.Equal(3, server.Listening.Count);
        Assert.Equal(("udp", udp), server.Listening[0]);
        Assert.Equal(("tcp", tcp), server.Listening[1]);
        Assert.Equal("tcp", server.Listening[2].Proto);
        Assert.NotEqual(tcpPort, server.Listening[2].EndPoint.Port);

        Assert.Equal("u"u8.ToArray(), EchoClient.UdpEcho(udp, "u"u8.ToArray()));
        using (var c = EchoClient.Connect(tcp)) Assert.Equal("passed"u8.ToArray(), Echo(c, "passed"));
        using (var c = EchoClient.Connect(server.Listening[2].EndPoint)) Assert.Equal("own"u8.ToArray(), Echo(c, "own"));
        AssertCleanStop(server, 3);
    }

    [Fact]
    public void No_tcp_no_udp_with_passed_sockets_serves_just_them()
    {
        int port = Activation.FreePort(tcp: true);
        var ep = new IPEndPoint(IPAddress.Loopback, port);
        Socket? client = null;
        using var server = ServerProcess.StartVia(Launcher, ["-l", $"127.0.0.1:{port}", ServerProcess.BinaryPath], ["--no-tcp", "--no-udp"],
            expectedSockets: 1, kick: () => client = Activation.ConnectRetrying(ep));
        using Socket c = client!;
        Assert.Equal("x"u8.ToArray(), Echo(c, "x"));
        c.Close();
        AssertCleanStop(server, 1);
    }

    [Fact]
    public void A_passed_unix_socket_exits_1_with_one_line_naming_the_descriptor()
    {
        string dir = Directory.CreateTempSubdirectory("rawselect-activation-").FullName;
        try
        {
            string path = Path.Combine(dir, "echo.sock");
            var psi = new System.Diagnostics.ProcessStartInfo(Launcher) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in new[] { "-l", path, ServerProcess.BinaryPath }) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var u = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    u.Connect(new UnixDomainSocketEndPoint(path));
                    break;
                }
                catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(5)) { Thread.Sleep(50); }
            }
            if (!p.WaitForExit(10_000)) { p.Kill(); Assert.Fail("no exit within 10 s of the unix socket's first connection"); }
            _out.WriteLine(err.Result);

            Assert.Equal(1, p.ExitCode);
            Assert.Equal("", stdout.Result);
            // systemd-socket-activate's own lines share stderr; ours is exactly one.
            string ours = Assert.Single(err.Result.Split('\n'), l => l.StartsWith("rawselect"));
            Assert.Equal("rawselect: socket activation: descriptor 3 is a unix stream socket, not an AF_INET/AF_INET6 socket", ours);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("pipe", "descriptor 3 is a pipe, not a socket")]
    [InlineData("file", "descriptor 3 is the file /etc/passwd, not a socket")]
    [InlineData("tcp-unlistened", "descriptor 3 is an AF_INET stream socket that is not listening")]
    [InlineData("tcp-connected", "descriptor 3 is an AF_INET stream socket that is not listening")]
    [InlineData("closed", "descriptor 3 is not open")]
    public void A_passed_descriptor_that_is_no_listener_or_udp_socket_exits_1_naming_it(string kind, string expected)
    {
        (int code, string stdout, string stderr) = Activation.LaunchToExit(kind, "1", "self");
        _out.WriteLine(stderr);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"rawselect: socket activation: {expected}", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Split(" (")[0].TrimEnd());
    }

    [Fact]
    public void More_descriptors_counted_than_passed_exits_1_naming_the_first_missing_one()
    {
        // One listener at fd 3, LISTEN_FDS=3: fd 4 and 5 are not there. They are checked before
        // the server opens anything of its own (/dev/urandom would otherwise land on fd 4).
        (int code, string stdout, string stderr) = Activation.LaunchToExit("tcp-blocking", "3", "self", "--no-tcp", "--no-udp");
        _out.WriteLine(stderr);
        Assert.Equal(1, code);
        Assert.DoesNotContain("listening", stdout);
        Assert.StartsWith("rawselect: socket activation: descriptor 4 is not open", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("99999999999999999999")]
    public void A_malformed_LISTEN_FDS_for_our_pid_exits_1_naming_it(string fds)
    {
        (int code, string stdout, string stderr) = Activation.LaunchToExit("tcp-blocking", fds, "self", "--no-tcp", "--no-udp");
        Assert.Equal(1, code);
        Assert.DoesNotContain("listening", stdout);
        Assert.Contains($"LISTEN_FDS='{fds}'", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Without_passed_sockets_no_tcp_no_udp_is_still_the_usage_error()
    {
        // LISTEN_PID names another process: the variables are not for us, so nothing is passed.
        (int code, string stdout, string stderr) = Activation.LaunchToExit("pipe", "1", "1", "--no-tcp", "--no-udp");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("rawselect: --no-tcp and --no-udp leave nothing to serve\n", stderr);
    }

    [Fact]
    public void Variables_for_another_pid_are_ignored_and_fd_3_is_left_alone()
    {
        // fd 3 is a pipe that would be refused if it were taken: it is not.
        using var server = ServerProcess.StartVia("python3", ["-c", Activation.Launcher, "pipe", "1", "1", ServerProcess.BinaryPath],
            ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"]);
        Assert.Equal(2, server.Listening.Count);
        using (var c = EchoClient.Connect(server.Tcp)) Assert.Equal("ok"u8.ToArray(), Echo(c, "ok"));
        Assert.StartsWith("pipe:", new FileInfo($"/proc/{server.Pid}/fd/3").LinkTarget);
        AssertCleanStop(server, 2);
    }

    [Theory]
    [InlineData("udp-blocking", "udp")]
    [InlineData("tcp-blocking", "tcp")]
    public void A_blocking_inheritable_passed_socket_is_made_nonblocking_and_cloexec(string kind, string proto)
    {
        // python's sockets are blocking, and fd 3 comes out of dup2 inheritable: neither flag is set.
        using var server = ServerProcess.StartVia("python3", ["-c", Activation.Launcher, kind, "1", "self", ServerProcess.BinaryPath],
            [], expectedSockets: 1);
        Assert.Equal(proto, Assert.Single(server.Listening).Proto);
        int flags = Activation.FdFlags(server.Pid, 3);
        Assert.True((flags & Activation.O_CLOEXEC) != 0, $"fd 3 flags {Convert.ToString(flags, 8)}: no O_CLOEXEC");
        Assert.True((flags & Activation.O_NONBLOCK) != 0, $"fd 3 flags {Convert.ToString(flags, 8)}: no O_NONBLOCK");
        if (proto == "udp") Assert.Equal("d"u8.ToArray(), EchoClient.UdpEcho(server.Udp, "d"u8.ToArray()));
        else using (var c = EchoClient.Connect(server.Tcp)) Assert.Equal("s"u8.ToArray(), Echo(c, "s"));
        AssertCleanStop(server, 1);
    }

    /// <summary>
    /// What rawselect.socket's [::]:7 with BindIPv6Only=both hands over: one dual-stack socket
    /// per protocol, IPv4 clients arriving as ::ffff:a.b.c.d, each answered.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_dual_stack_passed_socket_serves_ipv4_and_ipv6_clients(bool tcp)
    {
        int port = Activation.FreePort(tcp);
        var v4 = new IPEndPoint(IPAddress.Loopback, port);
        var v6 = new IPEndPoint(IPAddress.IPv6Loopback, port);
        Socket? client = null;
        string[] lead = tcp ? ["-l", $"[::]:{port}", ServerProcess.BinaryPath] : ["--datagram", "-l", $"[::]:{port}", ServerProcess.BinaryPath];
        using var server = ServerProcess.StartVia(Launcher, lead, [], expectedSockets: 1,
            kick: () => { if (tcp) client = Activation.ConnectRetrying(v4); else Activation.UdpKick(v4); });
        using Socket? first = client;

        Assert.Equal((tcp ? "tcp" : "udp", new IPEndPoint(IPAddress.IPv6Any, port)), Assert.Single(server.Listening));
        if (tcp)
        {
            Assert.Equal("v4"u8.ToArray(), Echo(first!, "v4"));
            using var c6 = EchoClient.Connect(v6);
            Assert.Equal("v6"u8.ToArray(), Echo(c6, "v6"));
            first!.Close();
        }
        else
        {
            Assert.Equal("v4"u8.ToArray(), EchoClient.UdpEcho(v4, "v4"u8.ToArray()));
            Assert.Equal("v6"u8.ToArray(), EchoClient.UdpEcho(v6, "v6"u8.ToArray()));
        }
        AssertCleanStop(server, 1);
    }
}
