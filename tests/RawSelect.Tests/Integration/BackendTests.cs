using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RawSelect.Tests.Robustness;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// --backend on the published binary: each backend serves 1000 clients at once, poll and epoll
/// serve past FD_SETSIZE, the serving line and --trace say which backend runs (trace lines as the
/// contract spells them), and a backend that does not exist is a usage error.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed partial class BackendTests
{
    private readonly ITestOutputHelper _out;

    public BackendTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [MemberData(nameof(Backends.Each), MemberType = typeof(Backends))]
    public void A_thousand_clients_are_served_at_once_each_echoing_then_all_together(string backend)
    {
        const int Clients = 1000;
        Robust.EnsureDescriptorLimit(3 * Clients);
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info", .. Backends.Args(backend)]);
        var clients = new List<Socket>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Clients; i++)
            {
                clients.Add(Robust.Connect(server.Tcp));
                var one = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(one, i);
                Robust.AssertEchoes(clients[i], one, $"client #{i}");
            }
            // Everyone at once: 1000 ready descriptors in few waits.
            EchoClient.EchoAllAtOnce(clients, Clients, 64);
            Dictionary<string, long> c = Robust.Counters(server);
            _out.WriteLine($"{backend}: {Clients} clients served in {clock.ElapsedMilliseconds} ms; {Robust.Format(c)}");
            Assert.Equal(Clients, c["tcp_accepted"]);
            Assert.Equal(Clients, c["tcp_open"]);
            Assert.Equal(0, Robust.Refused(c));
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Robust.WaitForCounters(server, c => c["tcp_open"] == 0, "every connection closed");
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        SignalTests.AssertNoCrash(server.Stderr);
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("epoll")]
    public void Poll_and_epoll_serve_clients_on_descriptors_past_FD_SETSIZE(string backend)
    {
        // select stops at 1024 (FD_SETSIZE) whatever the limit; poll and epoll take every
        // descriptor the limit allows: under ulimit -n 4096, 1500 clients are all served.
        const int Clients = 1500;
        Robust.EnsureDescriptorLimit(3 * Clients);
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info", .. Backends.Args(backend)],
            shellPrefix: "ulimit -n 4096");
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Clients; i++) clients.Add(Robust.Connect(server.Tcp));
            Dictionary<string, long> c = Robust.WaitForCounters(server, c => c["tcp_accepted"] + Robust.Refused(c) >= Clients,
                "every connection accepted or refused");
            Assert.Equal(Clients, c["tcp_accepted"]);
            Assert.Equal(0, Robust.Refused(c));
            int[] fds = Robust.Descriptors(server);
            Assert.True(fds.Count(fd => fd >= 1024) >= Clients - 1024 + 8, $"highest descriptor {fds[^1]}: expected hundreds past 1024");
            EchoClient.EchoAllAtOnce(clients, Clients, 4);
            _out.WriteLine($"{backend}: {Clients} clients served, highest server descriptor {fds[^1]}");
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [MemberData(nameof(Backends.Each), MemberType = typeof(Backends))]
    public void The_serving_line_names_the_backend(string backend)
    {
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info", .. Backends.Args(backend)]);
        string line = WaitForLine(server, "info: serving: ");
        Assert.Contains($" backend={backend} ", line + " ");
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    // The trace contract (BRIEF.md): an optional prefix, "trace: ", an optional "t=N ", the body.
    private const string Prefix = @"(?:<\d>|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )?trace: (?:t=\d+ )?";
    private const string Waited = @" waited=\d+\.\d{3}ms$";
    private const string Timeout = @" timeout=(?:inf|\d+\.\d{3}ms)";
    private const string Events = @"(?:in|out|pri|err|hup|nval)(?:\+(?:in|out|pri|err|hup|nval))*";
    private const string FdEvents = @"\{(?:\d+:" + Events + @"(?:,\d+:" + Events + @")*)?\}";
    private const string Result = @" -> (?:-1 E[A-Z]+|0|(?<n>\d+) ";

    [GeneratedRegex("^" + Prefix + @"poll nfds=(?<nfds>\d+) fds=(?<given>" + FdEvents + ")" + Timeout + Result + @"revents=(?<ret>" + FdEvents + @"))" + Waited)]
    private static partial Regex PollLine();

    [GeneratedRegex("^" + Prefix + @"epoll_wait maxevents=\d+" + Timeout + Result + @"events=(?<ret>" + FdEvents + @"))" + Waited)]
    private static partial Regex EpollWaitLine();

    [GeneratedRegex("^" + Prefix + @"epoll_ctl (?:(?:ADD|MOD) fd=\d+ events=" + Events + @"|DEL fd=\d+)(?: -> -1 E[A-Z]+)?$")]
    private static partial Regex EpollCtlLine();

    [Theory]
    [MemberData(nameof(Backends.Each), MemberType = typeof(Backends))]
    public async Task Trace_says_which_backend_runs_and_each_line_follows_the_contract(string backend)
    {
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--trace", .. Backends.Args(backend)]);
        WaitForLine(server, "info: serving: ");
        using (Socket s = EchoClient.Connect(server.Tcp))
        {
            byte[] data = EchoClient.Random(5000, seed: 3);
            Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(await EchoClient.EchoAsync(s, data, halfClose: true)));
        }
        Thread.Sleep(100); // the close is traced after the client sees EOF
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));

        string[] traces = server.Stderr.Split('\n').Where(l => l.Contains("trace: ")).ToArray();
        string[] waits = backend switch
        {
            "poll" => traces.Where(l => l.Contains(" poll nfds=")).ToArray(),
            "epoll" => traces.Where(l => l.Contains(" epoll_wait ")).ToArray(),
            _ => traces.Where(l => l.Contains(" select nfds=")).ToArray(),
        };
        Assert.True(waits.Length >= 3, $"{backend}: expected its wait traced; stderr:\n{Robust.Tail(server.Stderr, 40)}");
        // No other backend's lines: the trace says which one runs.
        foreach (string other in new[] { " select nfds=", " poll nfds=", " epoll_wait ", " epoll_ctl " })
        {
            bool mine = backend switch { "poll" => other == " poll nfds=", "epoll" => other is " epoll_wait " or " epoll_ctl ", _ => other == " select nfds=" };
            if (!mine) Assert.DoesNotContain(traces, l => l.Contains(other));
        }
        if (backend == "select") return; // select's own line belongs to the select backend's trace

        Regex wait = backend == "poll" ? PollLine() : EpollWaitLine();
        int ready = 0;
        foreach (string l in waits)
        {
            Match m = wait.Match(l);
            Assert.True(m.Success, $"not a {backend} trace line as the contract has it: {l}");
            if (m.Groups["n"].Success)
            {
                int n = int.Parse(m.Groups["n"].Value);
                Assert.Equal(n, m.Groups["ret"].Value.Count(ch => ch == ':')); // one entry per ready descriptor
                ready += n;
            }
            if (backend == "poll")
                Assert.Equal(int.Parse(m.Groups["nfds"].Value), m.Groups["given"].Value.Count(ch => ch == ':'));
        }
        Assert.True(ready >= 3, $"the accept, the data and the EOF were ready; the trace shows {ready}");
        if (backend == "epoll")
        {
            string[] ctl = traces.Where(l => l.Contains(" epoll_ctl ")).ToArray();
            Assert.All(ctl, l => Assert.Matches(EpollCtlLine(), l));
            // The wake pipe and the listener, then the connection, added; the connection deleted at close.
            Assert.True(ctl.Count(l => l.Contains(" ADD ")) >= 3, string.Join('\n', ctl));
            Assert.True(ctl.Count(l => l.Contains(" DEL ")) >= 1, string.Join('\n', ctl));
        }
    }

    [Theory]
    [InlineData("kqueue")]
    [InlineData("POLL")]
    [InlineData("epoll ")]
    [InlineData("")]
    public void An_unknown_backend_exits_2_with_one_line_naming_it(string name)
    {
        (int code, string stdout, string stderr) = ServerProcess.RunToExit("--backend", name);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        string expected = name == ""
            ? "rawselect: empty value for --backend\n"
            : $"rawselect: invalid value '{name}' for --backend: expected select, poll or epoll\n";
        Assert.Equal(expected, stderr);
    }

    private static string WaitForLine(ServerProcess server, string start)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string? line = server.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith(start));
            if (line is not null) return line;
            Assert.False(server.HasExited, $"the server exited; stderr:\n{server.Stderr}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"no '{start}' line within 10 s; stderr:\n{server.Stderr}");
            Thread.Sleep(10);
        }
    }
}
