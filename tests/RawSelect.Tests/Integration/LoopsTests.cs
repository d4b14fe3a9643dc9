using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawSelect.Tests.Robustness;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// --loops N on the real binary, for every backend: the kernel spreads connections and datagram
/// flows over the loops (SO_REUSEPORT, steered by source port), each loop holds its own
/// connections in its own descriptor table, the counters are summed with one line per loop,
/// --max-clients holds for the whole server, SIGTERM stops every loop within the one bound, a busy
/// port is refused whatever either side's --loops, a stranger's SO_REUSEPORT socket gets no
/// share, and passed sockets are watched by every loop with the lost races counted.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class LoopsTests
{
    private readonly ITestOutputHelper _out;

    public LoopsTests(ITestOutputHelper output) => _out = output;

    public static IEnumerable<object[]> AllBackends => Backends.Each();

    private static ServerProcess StartLoops(int loops, string backend, params string[] extra) =>
        ServerProcess.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--loops", loops.ToString(), .. Backends.Args(backend), .. extra]);

    /// <summary>"loop=K counters ..." lines, by loop, from the newest SIGUSR1 or exit.</summary>
    private static Dictionary<int, Dictionary<string, long>> Shares(string stderr, string label, int loops)
    {
        var shares = new Dictionary<int, Dictionary<string, long>>();
        foreach (string line in stderr.Split('\n'))
        {
            if (!line.StartsWith("info: loop=", StringComparison.Ordinal) || !line.Contains($" {label} ")) continue;
            Dictionary<string, long> d = Robust.Parse(line);
            shares[(int)d["loop"]] = d;
        }
        Assert.Equal(loops, shares.Count);
        return shares;
    }

    [Theory]
    [MemberData(nameof(AllBackends))]
    public void Connections_and_datagram_flows_spread_over_two_loops_and_the_counters_add_up(string backend)
    {
        using var server = StartLoops(2, backend);
        string err = server.StderrWhenItHas("serving:");
        Assert.Contains(" loops=2 ", err);
        Assert.Contains("fd-table=private", err);
        // One listening line per address, never per loop.
        Assert.Equal(2, server.Stdout.Split('\n').Count(l => l.StartsWith("listening ")));

        const int Clients = 200, Flows = 60;
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                Socket s = Robust.ConnectFrom(server.Tcp, i);
                clients.Add(s);
                Robust.AssertEchoes(s, [(byte)i, 7], $"connection #{i}");
            }
            for (int i = 0; i < Flows; i++)
                Assert.Equal(new byte[] { (byte)i }, EchoClient.UdpEcho(server.Udp, [(byte)i]));

            Dictionary<string, long> total = Robust.Counters(server);
            Dictionary<int, Dictionary<string, long>> shares = Shares(server.StderrWhenItHas("info: loop=1 counters"), "counters", 2);
            Assert.Equal(Clients, total["tcp_accepted"]);
            Assert.Equal(Clients, total["tcp_open"]);
            Assert.Equal(Flows, total["udp_datagrams_in"]);
            Assert.Equal(total["tcp_accepted"], shares.Values.Sum(d => d["tcp_accepted"]));
            Assert.Equal(total["udp_datagrams_in"], shares.Values.Sum(d => d["udp_datagrams_in"]));
            foreach ((int loop, Dictionary<string, long> d) in shares)
            {
                _out.WriteLine($"loop {loop}: {d["tcp_accepted"]} connections, {d["udp_datagrams_in"]} datagrams, {d["select_calls"]} waits");
                // An even hash of the source port: far from 0 % and 100 %, whatever the ports drawn.
                Assert.InRange(d["tcp_accepted"], Clients * 25 / 100, Clients * 75 / 100);
                Assert.InRange(d["udp_datagrams_in"], 1, Flows - 1);
            }

            // Each loop thread holds its own connections, in its own table.
            var loopTables = LoopThreads(server.Pid).Select(tid => SocketInodes(server.Pid, tid)).ToList();
            Assert.Equal(2, loopTables.Count);
            Assert.False(loopTables[0].Overlaps(loopTables[1]), "the two loops share sockets: one table, not two");
            Assert.True(loopTables.Sum(t => t.Count) >= Clients + 4);

            // A client's datagrams always reach the same loop: one socket, many datagrams.
            using var flow = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
            flow.Connect(server.Udp);
            var before = Shares(server.Stderr, "counters", 2);
            for (int i = 0; i < 20; i++)
            {
                flow.Send([(byte)i]);
                var got = new byte[8];
                Assert.Equal(1, flow.Receive(got));
            }
            Robust.Counters(server);
            var after = Shares(server.StderrWhenItHas("info: loop=1 counters"), "counters", 2);
            var moved = after.Keys.Select(k => after[k]["udp_datagrams_in"] - before[k]["udp_datagrams_in"]).OrderBy(x => x).ToArray();
            Assert.Equal(new long[] { 0, 20 }, moved);
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        Dictionary<string, long> exit = Robust.ExitCounters(server);
        Assert.Equal(Clients, exit["tcp_accepted"]);
        Assert.Equal(2, server.Stderr.Split('\n').Count(l => l.StartsWith("info: loop=") && l.Contains(" exit ")));
        SignalTests.AssertNoCrash(server.Stderr);
    }

    [Theory]
    [MemberData(nameof(AllBackends))]
    public void Max_clients_is_one_limit_for_the_whole_server(string backend)
    {
        using var server = StartLoops(2, backend, "--max-clients", "10");
        Assert.Contains("max-clients=10 ", server.StderrWhenItHas("serving:"));
        var clients = new List<Socket>();
        try
        {
            int served = 0;
            for (int i = 0; i < 30; i++)
            {
                Socket s = Robust.ConnectFrom(server.Tcp, i, receiveTimeoutMs: 2000);
                clients.Add(s);
                s.Send([(byte)i]);
                var b = new byte[1];
                try { if (s.Receive(b) == 1) served++; }
                catch (SocketException) { } // closed at once: refused
            }
            Dictionary<string, long> c = Robust.Counters(server);
            Assert.Equal(10, served);
            Assert.Equal(10, c["tcp_open"]);
            Assert.Equal(20, c["tcp_refused_max_clients"]);
            // The 10 are spread over both loops, and add up to the one limit.
            var shares = Shares(server.StderrWhenItHas("info: loop=1 counters"), "counters", 2);
            Assert.Equal(10, shares.Values.Sum(d => d["tcp_open"]));
            Assert.All(shares.Values, d => Assert.InRange(d["tcp_open"], 1, 9));

            // Closing some frees slots for the other loop too.
            for (int i = 0; i < clients.Count; i++) clients[i].Dispose();
            clients.Clear();
            Robust.WaitForCounters(server, d => d["tcp_open"] == 0, "all closed");
            for (int i = 0; i < 10; i++)
            {
                Socket s = Robust.ConnectFrom(server.Tcp, 100 + i);
                clients.Add(s);
                Robust.AssertEchoes(s, [(byte)i], $"connection #{i} after the others closed");
            }
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    public static IEnumerable<object[]> StopSignals => Backends.Times(ServerProcess.SIGTERM, ServerProcess.SIGINT);

    [Theory]
    [MemberData(nameof(StopSignals))]
    public async Task Sigterm_with_data_in_flight_on_every_loop_exits_0_within_the_bound(int signal, string backend)
    {
        using var server = StartLoops(2, backend);
        server.StderrWhenItHas("serving:");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sockets = new List<Socket>();
        var streams = new List<Task<EchoClient.StreamResult>>();
        var progress = new long[16];
        int opened = 0;
        void Open()
        {
            int k = opened++;
            Socket s = Robust.ConnectFrom(server.Tcp, k);
            sockets.Add(s);
            streams.Add(EchoClient.StreamEchoAsync(s, 1L << 40, seed: 70 + k, halfClose: false, cts.Token,
                received: n => Volatile.Write(ref progress[k], n)));
        }
        try
        {
            // Streams until each loop serves some (the kernel's spread decides which). The
            // counter polls block (sleeps between SIGUSR1 and its line): they run off xunit's
            // synchronization context, whose few threads the streams' continuations need.
            for (int i = 0; i < 4; i++) Open();
            while (opened < progress.Length)
            {
                int want = opened;
                await Task.Run(() => Robust.WaitForCounters(server, c => c["tcp_open"] == want, "streams accepted"));
                var now = Shares(server.StderrWhenItHas("info: loop=1 counters"), "counters", 2);
                if (now.Values.All(d => d["tcp_open"] > 0)) break;
                Open();
            }
            var wait = Stopwatch.StartNew();
            while (Enumerable.Range(0, opened).Any(k => Volatile.Read(ref progress[k]) < (64 << 10)))
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(20), "the streams made no progress");
                await Task.Delay(10);
            }
            var shares = Shares(await Task.Run(() => CountersNow(server)), "counters", 2);
            Assert.All(shares.Values, d => Assert.True(d["tcp_open"] > 0, "a loop serves no stream: the test would not stop both mid-flight"));

            (int? code, TimeSpan took) = server.StopTimed(signal, TimeSpan.FromSeconds(5));
            _out.WriteLine($"exit {code} after {took.TotalMilliseconds:0} ms");
            Assert.Equal(0, code);
            Assert.True(took < TimeSpan.FromSeconds(3), $"stopping took {took}");
            string err = server.Stderr;
            Assert.Single(err.Split('\n'), l => l.StartsWith("info: stopping: "));
            Assert.Single(err.Split('\n'), l => l.StartsWith("info: exit "));
            SignalTests.AssertNoCrash(err);
        }
        finally
        {
            cts.Cancel();
            foreach (Socket s in sockets) s.Dispose();
            try { await Task.WhenAll(streams); } catch { }
        }
    }

    /// <summary>10,000 connections over 2 loops: each loop holds its share (40-60 %), in its own
    /// table, under its own descriptor limit; every connection echoes; all close.</summary>
    [Theory]
    [MemberData(nameof(AllBackends))]
    public void Ten_thousand_connections_over_two_loops(string backend)
    {
        const int Clients = 10_000;
        Robust.EnsureDescriptorLimit(Clients + 1000);
        var clock = Stopwatch.StartNew();
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--loops", "2", "--backlog", "4096", .. Backends.Args(backend)],
            shellPrefix: "ulimit -n 20000");
        server.StderrWhenItHas("serving:");
        var clients = new List<Socket>(Clients);
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                clients.Add(Robust.ConnectFrom(server.Tcp, i, receiveTimeoutMs: 10_000));
                if (i % 500 == 499) Robust.AssertEchoes(clients[i], [(byte)i], $"connection #{i}");
            }
            Robust.WaitForCounters(server, c => c["tcp_open"] == Clients, "10,000 connections open", TimeSpan.FromSeconds(30));
            var shares = Shares(server.StderrWhenItHas("info: loop=1 counters"), "counters", 2);
            foreach ((int loop, Dictionary<string, long> d) in shares)
            {
                _out.WriteLine($"loop {loop}: {d["tcp_open"]} connections open");
                Assert.InRange(d["tcp_open"], Clients * 40 / 100, Clients * 60 / 100);
            }
            var msg = new byte[2];
            for (int w = 0; w < Clients; w += 1000)
            {
                for (int i = w; i < w + 1000; i++) { msg[0] = (byte)i; msg[1] = (byte)(i >> 8); clients[i].Send(msg); }
                for (int i = w; i < w + 1000; i++)
                {
                    var got = new byte[2];
                    int n = 0;
                    while (n < 2) n += clients[i].Receive(got, n, 2 - n, SocketFlags.None);
                    Assert.Equal(new[] { (byte)i, (byte)(i >> 8) }, got);
                }
            }
            Robust.CloseAll(clients);
            Robust.WaitForCounters(server, c => c["tcp_open"] == 0, "all 10,000 closed", TimeSpan.FromSeconds(30));
            _out.WriteLine($"{backend}: 10,000 connections over 2 loops in {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(10)));
    }

    private static string CountersNow(ServerProcess server)
    {
        Robust.Counters(server);
        return server.StderrWhenItHas("info: loop=1 counters");
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void A_busy_port_is_refused_whatever_either_sides_loops(int first, int second)
    {
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--loops", first.ToString()]);
        int tcp = server.Tcp.Port, udp = server.Udp.Port;
        (int code, _, string err) = ServerProcess.RunToExit("--tcp", $"127.0.0.1:{tcp}", "--no-udp", "--loops", second.ToString());
        Assert.Equal(1, code);
        Assert.Contains($"127.0.0.1:{tcp}", err);
        Assert.Contains("EADDRINUSE", err);
        (code, _, err) = ServerProcess.RunToExit("--no-tcp", "--udp", $"127.0.0.1:{udp}", "--loops", second.ToString());
        Assert.Equal(1, code);
        Assert.Contains($"127.0.0.1:{udp}", err);
        Robust.AssertEchoes(Robust.Connect(server.Tcp), [1, 2], "the first server, after the second was refused");
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void A_port_held_with_SO_REUSEPORT_by_another_socket_is_refused()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.SetRawSocketOption(1 /* SOL_SOCKET */, 15 /* SO_REUSEPORT */, BitConverter.GetBytes(1));
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        (int code, _, string err) = ServerProcess.RunToExit("--tcp", $"127.0.0.1:{port}", "--no-udp", "--loops", "2");
        Assert.Equal(1, code);
        Assert.Contains($"cannot bind tcp 127.0.0.1:{port}: bind: ", err);
    }

    /// <summary>
    /// SO_REUSEPORT lets any socket of the same user join the group once it exists: it binds and
    /// listens. The steering program sends nothing its way: every connection and datagram still
    /// reaches the server's loops.
    /// </summary>
    [Fact]
    public void A_same_user_socket_joining_the_group_later_gets_no_share_of_the_traffic()
    {
        using var server = StartLoops(2, "select");
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stranger.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
        stranger.Bind(server.Tcp);
        stranger.Listen(128);
        stranger.Blocking = false;
        using var udpStranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udpStranger.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
        udpStranger.Bind(server.Udp);
        udpStranger.Blocking = false;

        for (int i = 0; i < 60; i++)
        {
            using Socket s = Robust.ConnectFrom(server.Tcp, i, receiveTimeoutMs: 2000);
            Robust.AssertEchoes(s, [(byte)i], $"connection #{i}");
            Assert.Equal(new byte[] { (byte)i }, EchoClient.UdpEcho(server.Udp, [(byte)i], attempts: 1));
        }
        Assert.Throws<SocketException>(() => stranger.Accept().Dispose());
        Assert.Equal(0, udpStranger.Available);
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// Socket activation: one passed listener, watched by both loops, both serving from it. A
    /// connection wakes every loop waiting on it; one accepts. The others usually never see it:
    /// select, poll and epoll check a woken descriptor again before returning, so a loop that
    /// lost the race mostly goes back to sleep inside the kernel (a wasted wake-up, invisible).
    /// When a loop does return and its accept finds EAGAIN, that is counted (herd_lost) and
    /// traced; the fault tests (HerdFaultTests) force that case. Here: both loops serve the
    /// passed socket, the counts add up, and every trace line names its loop.
    /// </summary>
    [Fact]
    public void A_passed_listener_is_watched_and_served_by_every_loop_and_lost_races_are_summed()
    {
        string launcher = Activation.SocketActivatePath ?? throw new InvalidOperationException(
            "systemd-socket-activate is missing: scripts/setup.sh installs Debian's systemd package, which ships it");
        string trace = Path.Combine(Path.GetTempPath(), $"rawselect-herd-{Guid.NewGuid():N}.trace");
        try
        {
            int port = Activation.FreePort(tcp: true);
            var ep = new IPEndPoint(IPAddress.Loopback, port);
            Socket? first = null;
            using var server = ServerProcess.StartVia(launcher, ["-l", $"127.0.0.1:{port}", ServerProcess.BinaryPath],
                ["--loops", "2", "--trace-file", trace], expectedSockets: 1, kick: () => first = Activation.ConnectRetrying(ep));
            first!.Dispose();
            Assert.Single(server.Listening);
            Assert.Contains(" loops=2 ", server.StderrWhenItHas("serving:"));
            for (int i = 0; i < 100; i++)
            {
                using Socket s = Robust.Connect(ep);
                Robust.AssertEchoes(s, [(byte)i], $"connection #{i}");
            }
            Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
            Dictionary<string, long> exit = Robust.ExitCounters(server);
            var shares = Shares(server.Stderr, "exit", 2);
            _out.WriteLine(string.Join("\n", shares.Select(s => $"loop {s.Key}: accepted {s.Value["tcp_accepted"]}, lost races {s.Value["herd_lost"]}")));
            Assert.Equal(101, exit["tcp_accepted"]);
            Assert.All(shares.Values, d => Assert.True(d["tcp_accepted"] > 0, "a loop never accepted from the passed listener"));
            Assert.Equal(exit["herd_lost"], shares.Values.Sum(d => d["herd_lost"]));
            string traced = File.ReadAllText(trace);
            Assert.Matches(@"trace: t=\d+ loop=0 fd 3 add tcp-listener 127\.0\.0\.1:" + port, traced);
            Assert.Matches(@"trace: t=\d+ loop=1 fd 3 add tcp-listener 127\.0\.0\.1:" + port, traced);
            Assert.DoesNotMatch(@"trace: t=\d+ (?!loop=)", traced);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    /// <summary>
    /// A loop that fails fatally stops the whole server: exit 70, one line naming the loop. Made
    /// real with a descriptor limit just too small for a loop's epoll instance: the limit is
    /// raised until the loops fail that way (below it, the process cannot start at all; above,
    /// the bind fails or it serves), and every run ends by itself.
    /// </summary>
    [Fact]
    public void A_loop_that_fails_fatally_stops_the_server_with_exit_70_and_one_line_naming_it()
    {
        for (int limit = 9; limit <= 24; limit++)
        {
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            foreach (string a in new[] { "-c", $"ulimit -n {limit} && exec \"$0\" \"$@\"", ServerProcess.BinaryPath,
                         "--tcp", "127.0.0.1:0", "--no-udp", "--loops", "2", "--backend", "epoll", "--log-level", "error" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(10_000))
            {
                p.Kill();
                Assert.Fail($"ulimit -n {limit}: still running with no fatal loop seen below it");
            }
            string text = err.Result;
            _out.WriteLine($"ulimit -n {limit}: exit {p.ExitCode}: {text.Trim()}");
            if (!text.Contains("fatal: loop ")) continue;
            Assert.Equal(70, p.ExitCode);
            Assert.Matches(@"^rawselect: fatal: loop [01]: epoll_create1: EMFILE \(Too many open files\)$", text.TrimEnd('\n'));
            return;
        }
        Assert.Fail("no descriptor limit made a loop fail");
    }

    /// <summary>
    /// A kernel without SO_ATTACH_REUSEPORT_CBPF (before 4.5), simulated by a seccomp filter that
    /// answers that setsockopt with ENOPROTOOPT: the loops still serve, spread by the kernel's own
    /// hash, and the server says once what it lost.
    /// </summary>
    [Fact]
    public void Without_the_steering_program_the_loops_still_serve_and_say_what_is_lost()
    {
        string dir = Directory.CreateTempSubdirectory("rawselect-nocbpf-").FullName;
        try
        {
            string source = Path.Combine(dir, "refuse-cbpf.c"), exe = Path.Combine(dir, "refuse-cbpf");
            File.WriteAllText(source, RefuseCbpf);
            using (var gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-o", exe, source]) { RedirectStandardError = true })!)
            {
                string gccErr = gcc.StandardError.ReadToEnd();
                Assert.True(gcc.WaitForExit(30_000) && gcc.ExitCode == 0, $"gcc failed: {gccErr}");
            }
            using var server = ServerProcess.StartVia(exe, [ServerProcess.BinaryPath], ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--loops", "2"]);
            string err = server.StderrWhenItHas("serving:");
            _out.WriteLine(err);
            Assert.Single(err.Split('\n'), l => l.StartsWith("info: loops: SO_ATTACH_REUSEPORT_CBPF unavailable (Protocol not available (ENOPROTOOPT))"));
            var clients = new List<Socket>();
            try
            {
                for (int i = 0; i < 100; i++)
                {
                    clients.Add(Robust.ConnectFrom(server.Tcp, i));
                    Robust.AssertEchoes(clients[i], [(byte)i], $"connection #{i}");
                }
                Robust.Counters(server);
                var shares = Shares(server.StderrWhenItHas("info: loop=1 counters"), "counters", 2);
                Assert.All(shares.Values, d => Assert.True(d["tcp_open"] > 0, "the kernel's hash left a loop without connections"));
            }
            finally
            {
                Robust.CloseAll(clients);
            }
            Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>execs argv[1..] under a seccomp filter: setsockopt(_, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF) fails with ENOPROTOOPT.</summary>
    private const string RefuseCbpf = """
        #include <errno.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>
        #include <stddef.h>
        #include <sys/prctl.h>
        #include <sys/syscall.h>
        #include <unistd.h>

        #define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
        int main(int argc, char **argv) {
            if (argc < 2) return 127;
            struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setsockopt, 0, 5),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1 /* SOL_SOCKET */, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 51 /* SO_ATTACH_REUSEPORT_CBPF */, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOPROTOOPT),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 126;
            if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 125;
            execv(argv[1], argv + 1);
            return 124;
        }
        """;

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("two")]
    [InlineData("1025")]
    [InlineData("")]
    [InlineData("2.5")]
    public void A_bad_loops_value_exits_2_with_one_line(string value)
    {
        (int code, string stdout, string err) = ServerProcess.RunToExit("--loops", value);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.Contains("--loops", err);
    }

    [Fact]
    public void Loops_auto_takes_the_cpus_this_process_may_use()
    {
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--loops", "auto"], shellPrefix: "true", expectedSockets: 1);
        string err = server.StderrWhenItHas("serving:");
        int cpus = Environment.ProcessorCount; // .NET: affinity and cgroup quota, as ours
        Assert.Contains($"info: loops: auto = {cpus} ", err);
        Assert.Contains($" loops={cpus} ", err);
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));

        // taskset to one CPU: one loop, the single-loop server.
        using var one = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--loops", "auto"], shellPrefix: "taskset -p -c 0 $$ >/dev/null", expectedSockets: 1);
        Assert.Contains(" loops=1 ", one.StderrWhenItHas("serving:"));
        Assert.Equal(0, one.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    /// <summary>--user with several loops: the drop comes once every loop is bound, and covers every thread.</summary>
    [Fact]
    public void User_drops_privileges_after_every_loop_is_bound_for_every_thread()
    {
        if (!Robust.IsRoot) return; // CI runs as root; the privilege drop tests say why they skip
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--loops", "2", "--user", "nobody"]);
        string err = server.StderrWhenItHas("serving:");
        Assert.Contains("info: dropped privileges to user nobody", err);
        Assert.True(err.IndexOf("dropped privileges", StringComparison.Ordinal) < err.IndexOf("serving:", StringComparison.Ordinal));
        uint nobody = uint.Parse(File.ReadLines("/etc/passwd").Select(l => l.Split(':')).First(f => f[0] == "nobody")[2]);
        foreach (string task in Directory.GetDirectories($"/proc/{server.Pid}/task"))
        {
            string uids = File.ReadLines(Path.Combine(task, "status")).First(l => l.StartsWith("Uid:"));
            Assert.Equal(new[] { nobody, nobody, nobody, nobody }, uids.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(uint.Parse).ToArray());
        }
        for (int i = 0; i < 20; i++) Robust.AssertEchoes(Robust.ConnectFrom(server.Tcp, i), [(byte)i], $"connection #{i}");
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    private static IEnumerable<int> LoopThreads(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task")
            .Select(t => (Tid: int.Parse(Path.GetFileName(t)), Comm: File.ReadAllText(Path.Combine(t, "comm")).Trim()))
            .Where(t => t.Comm.StartsWith("loop ", StringComparison.Ordinal))
            .Select(t => t.Tid);

    private static HashSet<string> SocketInodes(int pid, int tid)
    {
        var set = new HashSet<string>();
        foreach (string fd in Directory.GetFiles($"/proc/{pid}/task/{tid}/fd"))
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:", StringComparison.Ordinal)) set.Add(target);
            }
            catch (IOException) { }
        }
        return set;
    }
}
