using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// select(2) past FD_SETSIZE on the real binary: with no --fd-setsize the select backend's sets
/// are as large as the descriptor limit (raised to the hard limit at start), so descriptors past
/// 1023 are served, not refused, and the server still never holds a descriptor past its sets.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed partial class LargeSelectTests
{
    private readonly ITestOutputHelper _out;

    public LargeSelectTests(ITestOutputHelper output) => _out = output;

    [GeneratedRegex(@"serving: max-clients=(?<max>\d+) fd-setsize=(?<cap>\d+) descriptor-limit=(?<lim>\d+) descriptor-limit-was=(?<was>\d+) descriptor-hard-limit=(?<hard>\d+)")]
    private static partial Regex ServingLine();

    private static (int MaxClients, int Capacity, long Limit, long Was, long Hard) Serving(ServerProcess server)
    {
        var clock = Stopwatch.StartNew();
        Match m;
        while (!(m = ServingLine().Match(server.Stderr)).Success)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"no serving line with the limits:\n{server.Stderr}");
            Thread.Sleep(10);
        }
        return (int.Parse(m.Groups["max"].Value), int.Parse(m.Groups["cap"].Value), long.Parse(m.Groups["lim"].Value),
            long.Parse(m.Groups["was"].Value), long.Parse(m.Groups["hard"].Value));
    }

    /// <summary>
    /// The soft limit 1024 with a hard limit of 4096 (ulimit -S -n 1024, -H -n 4096): the
    /// server raises its soft limit to 4096 and says so, its sets take 4096 descriptors, and 1100
    /// clients are all served, past descriptor 1023, none refused.
    /// </summary>
    [Fact]
    public void Without_fd_setsize_1100_clients_are_served_past_descriptor_1023()
    {
        const int Clients = 1100;
        Robust.EnsureDescriptorLimit(3 * Clients);
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info"],
            shellPrefix: "ulimit -S -n 1024 && ulimit -H -n 4096");
        var s = Serving(server);
        _out.WriteLine($"serving: max-clients={s.MaxClients} fd-setsize={s.Capacity} limit {s.Was} raised to {s.Limit} (hard {s.Hard})");
        Assert.Equal(1024, s.Was);
        Assert.Equal(4096, s.Limit);
        Assert.Equal(4096, s.Hard);
        Assert.Equal(4096, s.Capacity);
        Assert.InRange(s.MaxClients, 4096 - 32, 4095);

        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                clients.Add(Robust.ConnectFrom(server.Tcp, i));
                if (i % 100 == 99) Robust.AssertEchoes(clients[i], [(byte)i], $"connection #{i}");
            }
            Dictionary<string, long> c = Robust.WaitForCounters(server, c => c["tcp_open"] == Clients, "every connection served");
            Assert.Equal(0, Robust.Refused(c));
            int[] fds = Robust.Descriptors(server);
            Assert.True(fds.Max() >= Clients, $"the highest server descriptor is {fds.Max()}: not past 1023?");
            Assert.True(fds.Max() < s.Capacity, $"the server holds descriptor {fds.Max()}, past its sets ({s.Capacity})");
            EchoAll(clients);
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// The proof the issue asks for: 10,000 concurrent connections under ulimit -n 20000, each
    /// echoes on its own, then all at once; the server holds no descriptor past its sets; the
    /// RSS at 10,000 idle connections and the server CPU per round trip of one active connection
    /// among them (one select over nfds ~10,000 per round trip) are reported.
    /// </summary>
    [Fact]
    public void Ten_thousand_connections_each_echo_then_all_at_once()
    {
        const int Clients = 10_000;
        Robust.EnsureDescriptorLimit(Clients + 1000);
        var total = Stopwatch.StartNew();
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info", "--backlog", "4096"],
            shellPrefix: "ulimit -n 20000");
        var s = Serving(server);
        Assert.Equal(20_000, s.Capacity);
        Assert.True(s.MaxClients >= Clients, $"max-clients={s.MaxClients}");
        long rssIdle = server.RssKiB();

        var clients = new List<Socket>(Clients);
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Clients; i++)
            {
                clients.Add(Robust.ConnectFrom(server.Tcp, i, receiveTimeoutMs: 10_000));
                // Keep the server's accepting in step with the backlog rather than have SYNs dropped.
                if (i % 500 == 499) Robust.AssertEchoes(clients[i], [(byte)i], $"connection #{i}");
            }
            Robust.WaitForCounters(server, c => c["tcp_open"] == Clients, "10,000 connections open", TimeSpan.FromSeconds(20));
            TimeSpan connectTime = clock.Elapsed;

            // Each echoes its own bytes, in waves of 500: one at a time would cost 10,000 selects
            // over all 10,000 descriptors (several ms of kernel time each: the cost this is about).
            clock.Restart();
            for (int w = 0; w < Clients; w += 500) EchoAll(clients.GetRange(w, 500), seed: w);
            TimeSpan eachTime = clock.Elapsed;

            // Then all at once: one select reports thousands ready.
            clock.Restart();
            EchoAll(clients);
            TimeSpan allTime = clock.Elapsed;

            int[] fds = Robust.Descriptors(server);
            Assert.True(fds.Length > Clients, $"the server holds {fds.Length} descriptors");
            Assert.True(fds.Max() < s.Capacity, $"the server holds descriptor {fds.Max()}, past its sets ({s.Capacity})");
            long rss10k = server.RssKiB();

            // One active connection among 9,999 idle: server CPU per round trip.
            const int RoundTrips = 200;
            long ticks0 = server.CpuTicks();
            clock.Restart();
            for (int k = 0; k < RoundTrips; k++) Robust.AssertEchoes(clients[k % 7], [(byte)k], "the active connection");
            double rtUs = clock.Elapsed.TotalMicroseconds / RoundTrips;
            double cpuUs = (server.CpuTicks() - ticks0) * 10_000.0 / RoundTrips; // ticks are 10 ms

            Dictionary<string, long> c = Robust.Counters(server);
            Assert.Equal(0, Robust.Refused(c));
            Assert.Equal(Clients, c["tcp_open"]);
            _out.WriteLine($"10,000 connections: connect {connectTime.TotalSeconds:0.0} s, each in waves of 500 {eachTime.TotalSeconds:0.0} s, " +
                $"all at once {allTime.TotalMilliseconds:0} ms; highest server fd {fds.Max()} of capacity {s.Capacity}");
            _out.WriteLine($"RSS idle {rssIdle} KiB, with 10,000 idle connections {rss10k} KiB; one active among 10,000: " +
                $"round trip {rtUs:0} us, server CPU {cpuUs:0} us per round trip (one select, nfds ~{fds.Max() + 1})");

            clock.Restart();
            Robust.CloseAll(clients);
            Robust.WaitForCounters(server, c => c["tcp_open"] == 0, "all 10,000 closed", TimeSpan.FromSeconds(20));
            _out.WriteLine($"closing all: {clock.Elapsed.TotalSeconds:0.0} s; whole test {total.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(10)));
    }

    /// <summary>Sends 4 distinct bytes on every connection, then reads every echo back.</summary>
    private static void EchoAll(List<Socket> clients, int seed = 0)
    {
        var msg = new byte[4];
        for (int i = 0; i < clients.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(msg, seed + i);
            clients[i].Send(msg);
        }
        var got = new byte[4];
        for (int i = 0; i < clients.Count; i++)
        {
            int have = 0;
            while (have < 4)
            {
                int n = clients[i].Receive(got, have, 4 - have, SocketFlags.None);
                Assert.True(n > 0, $"connection #{i} was closed");
                have += n;
            }
            Assert.Equal(seed + i, BinaryPrimitives.ReadInt32LittleEndian(got));
        }
    }
}
