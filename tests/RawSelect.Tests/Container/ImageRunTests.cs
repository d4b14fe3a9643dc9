using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using RawSelect.Tests.Robustness;
using Xunit.Abstractions;
using static RawSelect.Tests.Container.PodmanFixture;

namespace RawSelect.Tests.Container;

/// <summary>
/// The release image run under podman with runc, as a user runs it: published on a 127.0.0.1
/// port, with the one sysctl port 7 needs as uid 65534 (Docker sets it by default; podman does
/// not). TCP echo up to 1 MiB, UDP up to 65507 bytes, 1000 clients, IPv4 and IPv6 inside the
/// container, uid 65534 with no capabilities, a read-only root, SIGUSR1's counters, podman stop
/// ending a connection whose echo the client has not read yet with all of it, then EOF; and without the sysctl, one clear line and exit 1, while a Cmd on
/// a high port serves.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ImageRunTests : IClassFixture<HostImagePodman>
{
    /// <summary>What podman needs to let uid 65534 bind port 7 (README: "More than one machine").</summary>
    public const string UnprivilegedPorts = "net.ipv4.ip_unprivileged_port_start=0";

    private static readonly TimeSpan Start = TimeSpan.FromSeconds(30);
    private readonly HostImagePodman _podman;
    private readonly ITestOutputHelper _out;

    public ImageRunTests(HostImagePodman podman, ITestOutputHelper output)
    {
        _podman = podman;
        _out = output;
    }

    private PodmanHost Host => _podman.Host;

    /// <summary>podman run -d the image with port 7 published on 127.0.0.1:PORT (TCP and UDP); waits for its four listening lines.</summary>
    private (string Name, IPEndPoint Published, TimeSpan Started) RunPublished(params string[] extra)
    {
        string name = Host.UniqueName("run");
        int port = FreePort();
        var clock = Stopwatch.StartNew();
        Host.Ok(["run", "-d", "--name", name, "--sysctl", UnprivilegedPorts,
                 "-p", $"127.0.0.1:{port}:7/tcp", "-p", $"127.0.0.1:{port}:7/udp", .. extra, _podman.Image]);
        string logs = Host.WaitListening(name, 4, Start);
        var published = new IPEndPoint(IPAddress.Loopback, port);
        using (Socket s = Connect(published)) Assert.Equal("up"u8.ToArray(), TcpEcho(s, "up"u8.ToArray()));
        TimeSpan started = clock.Elapsed;
        Assert.Equal(["listening tcp 0.0.0.0:7", "listening tcp [::]:7", "listening udp 0.0.0.0:7", "listening udp [::]:7"],
            Regex.Matches(logs, "^listening .*$", RegexOptions.Multiline).Select(m => m.Value));
        return (name, published, started);
    }

    private int StopAndExitCode(string name)
    {
        var clock = Stopwatch.StartNew();
        Host.Ok("stop", "--time", "10", name);
        int code = int.Parse(Host.Inspect(name, "{{.State.ExitCode}}"));
        _out.WriteLine($"podman stop {name}: exit {code} after {clock.ElapsedMilliseconds} ms");
        return code;
    }

    [PodmanFact]
    public void Serves_tcp_and_udp_on_port_7_as_nobody_without_capabilities_on_a_read_only_root()
    {
        (string name, IPEndPoint ep, TimeSpan started) = RunPublished("--read-only", "--cap-drop", "all");
        _out.WriteLine($"podman run -d to the first echo: {started.TotalMilliseconds:0} ms ({Podman.Version()}, runc)");
        Assert.Equal("true", Host.Inspect(name, "{{.HostConfig.ReadonlyRootfs}}"));
        int pid = Host.Pid(name);
        long idle = RssKiB(pid);
        AssertNobodyWithoutCapabilities(pid, _out.WriteLine);
        Assert.Equal("0000000000000000", Status(pid)["CapBnd"]); // --cap-drop all: none to gain either

        byte[] mib = EchoClient.Random(1 << 20, 16);
        using (Socket s = Connect(ep))
        {
            Assert.Equal("hello\n"u8.ToArray(), TcpEcho(s, "hello\n"u8.ToArray()));
            Assert.Equal(EchoClient.Digest(mib), EchoClient.Digest(TcpEcho(s, mib)));
        }
        foreach (int size in new[] { 1, 1472, 65507 })
        {
            byte[] d = EchoClient.Random(size, size);
            Assert.Equal(d, UdpEcho(ep, d));
        }

        // Every address inside the container: its own loopback, IPv4 and IPv6, TCP and UDP.
        Socket[] inside = PodNetwork.CreateIn(pid, () =>
            [PodNetwork.Tcp(IPAddress.Loopback), PodNetwork.Tcp(IPAddress.IPv6Loopback), PodNetwork.Udp(IPAddress.IPv6Loopback)]);
        try
        {
            inside[0].Connect(new IPEndPoint(IPAddress.Loopback, 7));
            inside[1].Connect(new IPEndPoint(IPAddress.IPv6Loopback, 7));
            Assert.Equal("v4"u8.ToArray(), TcpEcho(inside[0], "v4"u8.ToArray()));
            Assert.Equal("v6"u8.ToArray(), TcpEcho(inside[1], "v6"u8.ToArray()));
            byte[] big6 = EchoClient.Random(65527, 6);
            Assert.Equal(big6, UdpEcho(inside[2], new IPEndPoint(IPAddress.IPv6Loopback, 7), big6));
        }
        finally
        {
            foreach (Socket s in inside) s.Dispose();
        }

        long busy = RssKiB(pid);
        _out.WriteLine($"RSS: {idle} KiB idle, {busy} KiB after a 1 MiB echo and 64 KiB datagrams");
        Assert.Equal(0, StopAndExitCode(name));
        string logs = Host.Logs(name);
        _out.WriteLine(logs);
        SignalTests.AssertNoCrash(logs);
    }

    [PodmanFact]
    public void A_thousand_clients_at_once_and_SIGUSR1_prints_the_counters()
    {
        const int Clients = 1000;
        Robust.EnsureDescriptorLimit(3 * Clients);
        (string name, IPEndPoint ep, _) = RunPublished();
        int pid = Host.Pid(name);
        var clients = new List<Socket>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Clients; i++)
            {
                clients.Add(Connect(ep));
                var one = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(one, i);
                Assert.Equal(one, TcpEcho(clients[i], one));
            }
            EchoClient.EchoAllAtOnce(clients, Clients, 64);
            _out.WriteLine($"{Clients} clients through the published port in {clock.ElapsedMilliseconds} ms; RSS {RssKiB(pid)} KiB with them open");

            // podman kill -s USR1: one counters line, the server goes on.
            Host.Ok("kill", "--signal", "USR1", name);
            var wait = Stopwatch.StartNew();
            string line;
            while ((line = Regex.Match(Host.Logs(name), @"info: counters .*").Value).Length == 0)
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(10), $"no counters line after SIGUSR1: {Host.Logs(name)}");
                Thread.Sleep(50);
            }
            _out.WriteLine(line);
            Assert.Contains($"tcp_accepted={Clients + 1} ", line); // and the first echo's client
            Assert.Contains($"tcp_open={Clients} ", line);
            Assert.Equal("running", Host.Inspect(name, "{{.State.Status}}"));
        }
        finally
        {
            foreach (Socket s in clients) s.Dispose();
        }
        Assert.Equal(0, StopAndExitCode(name));
        SignalTests.AssertNoCrash(Host.Logs(name));
    }

    [PodmanFact]
    public void Podman_stop_with_echo_unread_by_the_client_ends_with_all_of_it_then_EOF_and_exit_0_within_the_bound()
    {
        (string name, IPEndPoint ep, _) = RunPublished();
        // A client that sent 64 KiB and has read none of the echo when the stop comes. Its receive
        // buffer holds the whole echo: what the server hands its kernel while it still exists
        // reaches the client, but what is queued in the container's own kernel socket when the
        // process exits is lost if podman removes the network namespace first (seen once in
        // eight runs with a 4 KiB receive window; README: "More than one machine").
        const int Size = 64 * 1024;
        byte[] data = EchoClient.Random(Size, 64);
        using Socket client = Connect(ep);
        client.Send(data);
        // Wait until the server's counters say it read and echoed it all: a stop arriving first
        // would leave the rest unread, by design (shutdown stops reading).
        var wait = Stopwatch.StartNew();
        while (!Regex.Matches(Host.Logs(name), @"info: counters .*").Select(m => m.Value).LastOrDefault("").Contains($"tcp_bytes_out={Size + 2} "))
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(10), $"the server did not echo the {Size} bytes: {Host.Logs(name)}");
            Host.Ok("kill", "--signal", "USR1", name);
            Thread.Sleep(100);
        }

        var clock = Stopwatch.StartNew();
        using Process stop = Host.Start("stop", "--time", "10", name);
        // The signal has arrived once the listener is gone (new connections are refused).
        while (true)
        {
            try { using Socket probe = Connect(ep); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { break; }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the listener was still open 10 s after podman stop");
            Thread.Sleep(20);
        }
        TimeSpan refusedAfter = clock.Elapsed;

        // Only now read: every byte sent comes back, then EOF: the server closed after its FIN,
        // with nothing unread (a reset would be ECONNRESET here).
        var got = new MemoryStream();
        var buf = new byte[65536];
        int n;
        while ((n = client.Receive(buf)) > 0) got.Write(buf, 0, n);
        Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(got.ToArray()));

        Assert.True(stop.WaitForExit(TimeSpan.FromSeconds(20)), "podman stop did not return");
        TimeSpan stopped = clock.Elapsed;
        int code = int.Parse(Host.Inspect(name, "{{.State.ExitCode}}"));
        string logs = Host.Logs(name);
        _out.WriteLine($"listener closed {refusedAfter.TotalMilliseconds:0} ms after podman stop began; podman stop returned after {stopped.TotalMilliseconds:0} ms; exit {code}");
        _out.WriteLine(logs);
        Assert.Equal(0, code);
        // Our client, and perhaps a probe whose close the server had not yet seen.
        Assert.Matches(@"stopping: [12] connections open", logs);
        string exit = Regex.Match(logs, @"info: exit .*").Value;
        Assert.Contains($"tcp_bytes_in={Size + 2} ", exit); // and RunPublished's "up"
        Assert.Contains($"tcp_bytes_out={Size + 2} ", exit);
        Assert.Matches(@"tcp_closed_shutdown=[12] ", exit);
        // The server's bound is --shutdown-timeout (1 s); podman would SIGKILL at 10 s.
        Assert.True(stopped < TimeSpan.FromSeconds(5), $"podman stop took {stopped.TotalMilliseconds:0} ms");
        SignalTests.AssertNoCrash(logs);
    }

    [PodmanFact]
    public void With_IPv6_disabled_in_the_container_as_Docker_does_on_IPv4_networks_the_Cmd_still_serves()
    {
        // [::] binds even with disable_ipv6 on every interface: the address family is still there.
        (string name, IPEndPoint ep, _) = RunPublished("--sysctl", "net.ipv6.conf.all.disable_ipv6=1", "--sysctl", "net.ipv6.conf.default.disable_ipv6=1");
        Assert.Equal("1", PodNetwork.RunIn(Host.Pid(name), () => File.ReadAllText("/proc/sys/net/ipv6/conf/all/disable_ipv6").Trim()));
        Assert.Equal("udp"u8.ToArray(), UdpEcho(ep, "udp"u8.ToArray()));
        Assert.Equal(0, StopAndExitCode(name));
    }

    [PodmanFact]
    public void Without_the_sysctl_port_7_fails_in_one_line_and_a_Cmd_on_a_high_port_serves()
    {
        // What a podman or CRI-O host without the sysctl does (set explicitly here: 1024 is the kernel's default).
        string refused = Host.UniqueName("refused");
        Host.Ok("run", "-d", "--name", refused, "--sysctl", "net.ipv4.ip_unprivileged_port_start=1024", _podman.Image);
        Assert.Equal(1, Host.WaitExit(refused, Start));
        string logs = Host.Logs(refused).Trim();
        _out.WriteLine(logs);
        Assert.Equal("rawselect: cannot bind tcp 0.0.0.0:7: bind: Permission denied (EACCES)", Assert.Single(logs.Split('\n')));

        // The other way: the server on 7007 in the container, port 7 (here a free port) published by the runtime.
        string high = Host.UniqueName("high");
        int port = FreePort();
        Host.Ok("run", "-d", "--name", high, "--sysctl", "net.ipv4.ip_unprivileged_port_start=1024",
            "-p", $"127.0.0.1:{port}:7007/tcp", "-p", $"127.0.0.1:{port}:7007/udp", _podman.Image,
            "--tcp", "0.0.0.0:7007", "--tcp", "[::]:7007", "--udp", "0.0.0.0:7007", "--udp", "[::]:7007");
        Host.WaitListening(high, 4, Start);
        var ep = new IPEndPoint(IPAddress.Loopback, port);
        using (Socket s = Connect(ep)) Assert.Equal("high"u8.ToArray(), TcpEcho(s, "high"u8.ToArray()));
        Assert.Equal("udp"u8.ToArray(), UdpEcho(ep, "udp"u8.ToArray()));
        AssertNobodyWithoutCapabilities(Host.Pid(high), _out.WriteLine);
        Assert.Equal(0, StopAndExitCode(high));
    }
}
