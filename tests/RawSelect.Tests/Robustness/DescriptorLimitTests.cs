using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// Descriptor limits on the real binary: FD_SETSIZE (1024) with a descriptor limit far above it,
/// running out of descriptors (EMFILE) without spinning, and --max-clients. In each, the server
/// stays up, the clients it took keep being served, the rest are closed at once (never left
/// hanging in the backlog), the refusals are counted, and once everyone leaves it is as before.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class DescriptorLimitTests
{
    private readonly ITestOutputHelper _out;

    public DescriptorLimitTests(ITestOutputHelper output) => _out = output;

    /// <summary>
    /// --fd-setsize 1024, the classic server: ulimit -n 4096 lets accept(2) hand out descriptors
    /// past 1023, which a 1024-bit fd_set cannot hold: FD_SET on one writes past it. The server
    /// must close such connections at once. With the default limit the derived --max-clients (or
    /// the set size) refuses them; with --max-clients 2000 only the check at registration stands
    /// in the way, and the refusals are counted as tcp_refused_fd_limit.
    /// </summary>
    [Theory]
    [InlineData("derived")]
    [InlineData("2000")]
    public void Past_FD_SETSIZE_connections_are_closed_at_once_and_the_first_thousand_keep_echoing(string maxClients)
    {
        const int Clients = 1100;
        Robust.EnsureDescriptorLimit(3 * Clients);
        string[] extra = maxClients == "derived" ? [] : ["--max-clients", maxClients];
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info", "--fd-setsize", "1024", .. extra],
            shellPrefix: "ulimit -n 4096");
        Assert.Contains("fd-setsize=1024 descriptor-limit=4096", server.StderrWhenItHas("serving: "));
        int baseFds = server.OpenDescriptors();
        var clients = new List<Socket>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Clients; i++) clients.Add(Robust.Connect(server.Tcp, receiveTimeoutMs: 5000));
            Dictionary<string, long> c = Robust.WaitForCounters(server, c => c["tcp_accepted"] + Robust.Refused(c) >= Clients,
                "every connection accepted or refused");
            _out.WriteLine($"{Clients} connections made in {clock.ElapsedMilliseconds} ms; {Robust.Format(c)}");

            long served = c["tcp_accepted"];
            Assert.Equal(Clients, served + Robust.Refused(c));
            Assert.InRange(served, 1000, 1023);
            Assert.Equal(served, c["tcp_open"]);
            if (maxClients == "2000")
                Assert.True(c["tcp_refused_fd_limit"] > 0, "with --max-clients 2000 the FD_SETSIZE check must be what refuses");

            // The server never holds a descriptor select cannot watch.
            int[] fds = Robust.Descriptors(server);
            Assert.True(fds.All(fd => fd < 1024), $"the server holds descriptors past FD_SETSIZE: {string.Join(',', fds.Where(fd => fd >= 1024))}");

            // Accepted in order: the first `served` are served, every later one was closed at once.
            for (int i = (int)served; i < Clients; i++) Robust.AssertClosedByServer(clients[i], 2000, $"connection #{i}");

            // The first ones still echo, all of them, after the refusals: send to every one, then read every one.
            var msg = new byte[4];
            for (int i = 0; i < served; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(msg, i);
                clients[i].Send(msg);
            }
            for (int i = 0; i < served; i++)
            {
                var got = new byte[4];
                int have = 0;
                while (have < 4)
                {
                    int n = clients[i].Receive(got, have, 4 - have, SocketFlags.None);
                    Assert.True(n > 0, $"connection #{i} (served) was closed");
                    have += n;
                }
                Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(got));
            }
            Assert.False(server.HasExited);

            // Everyone leaves: the server is back to its own descriptors, and serves as many again.
            Robust.CloseAll(clients);
            Robust.WaitForCounters(server, c => c["tcp_open"] == 0, "all connections closed");
            Assert.Equal(baseFds, server.OpenDescriptors());
            for (int i = 0; i < served; i++) clients.Add(Robust.Connect(server.Tcp));
            for (int i = 0; i < served; i++) Robust.AssertEchoes(clients[i], [(byte)i, 0xFF, 0x00], $"new connection #{i}");
            Dictionary<string, long> after = Robust.Counters(server);
            Assert.Equal(Robust.Refused(c), Robust.Refused(after)); // nobody refused the second time
            _out.WriteLine($"survived: {served} served at once, {Robust.Refused(c)} refused; then {served} new clients served; server fds {baseFds} before and after");
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// ulimit -n 64, 100 connections: accept(2) fails with EMFILE while the listener stays
    /// readable. Without the spare-descriptor dance (or a pause) select returns at once forever and
    /// the server burns a core. Here its CPU over 2 s of a continuing connection storm must stay
    /// under 10% of one core, the shed connections see a close (not a hang), and the served ones echo.
    /// With the default --max-clients the derived limit may refuse some before EMFILE; with
    /// --max-clients 1000 only EMFILE stops the server.
    /// </summary>
    [Theory]
    [InlineData("derived")]
    [InlineData("1000")]
    public void Out_of_descriptors_the_server_sheds_connections_without_spinning(string maxClients)
    {
        const int Clients = 100;
        string[] extra = maxClients == "derived" ? [] : ["--max-clients", maxClients];
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info", .. extra],
            shellPrefix: "ulimit -n 64");
        int baseFds = server.OpenDescriptors();
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Clients; i++) clients.Add(Robust.Connect(server.Tcp));
            Dictionary<string, long> c = Robust.WaitForCounters(server, c => c["tcp_accepted"] + Robust.Refused(c) >= Clients,
                "every connection accepted or shed");
            long served = c["tcp_accepted"];
            Assert.Equal(Clients, served + Robust.Refused(c));
            Assert.InRange(served, 30, 63);
            if (maxClients == "1000")
                Assert.True(c["tcp_accept_emfile"] > 0, $"accept never saw EMFILE: {Robust.Format(c)}");
            for (int i = (int)served; i < Clients; i++) Robust.AssertClosedByServer(clients[i], 2000, $"connection #{i}");

            // The storm goes on: a new connection every 100 ms for 2 s, each shed at once, while
            // the server's CPU time is measured.
            long ticks0 = server.CpuTicks();
            var clock = Stopwatch.StartNew();
            var slowest = TimeSpan.Zero;
            int more = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(2))
            {
                using (Socket late = Robust.Connect(server.Tcp))
                {
                    TimeSpan t = Robust.AssertClosedByServer(late, 1000, $"storm connection #{more}");
                    if (t > slowest) slowest = t;
                }
                more++;
                Thread.Sleep(100);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            long ticks = server.CpuTicks() - ticks0;
            double cpu = ticks / (seconds * 100.0); // clock ticks are 1/100 s
            Dictionary<string, long> c2 = Robust.Counters(server);
            _out.WriteLine($"EMFILE storm: {served} served, {Robust.Refused(c2)} shed ({c2["tcp_accept_emfile"]} EMFILE); " +
                $"{more} more during {seconds:0.00} s, slowest close {slowest.TotalMilliseconds:0} ms; server CPU {ticks} ticks = {cpu:P1} of a core");
            Assert.True(cpu < 0.10, $"the server used {cpu:P0} of a core while out of descriptors (spinning?); {Robust.Format(c2)}");
            Assert.Equal(served + Robust.Refused(c) + more, c2["tcp_accepted"] + Robust.Refused(c2));
            Assert.Equal(served, c2["tcp_accepted"]);

            // Existing connections still echo.
            for (int i = 0; i < served; i++) Robust.AssertEchoes(clients[i], [(byte)i, 1, 2, 3], $"served connection #{i}");

            // Once they leave, as many new clients are served again.
            Robust.CloseAll(clients);
            Robust.WaitForCounters(server, c => c["tcp_open"] == 0, "all connections closed");
            Assert.Equal(baseFds, server.OpenDescriptors());
            for (int i = 0; i < served; i++) clients.Add(Robust.Connect(server.Tcp));
            for (int i = 0; i < served; i++) Robust.AssertEchoes(clients[i], [(byte)i, 9], $"new connection #{i}");
            Assert.Equal(2 * served, Robust.Counters(server)["tcp_accepted"]);
        }
        finally
        {
            Robust.CloseAll(clients);
        }
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// --max-clients 5: the 6th connection is accepted and closed at once (so it learns at once,
    /// instead of waiting unaccepted in the backlog); the five keep working, and a freed slot is
    /// given to the next client.
    /// </summary>
    [Fact]
    public void Max_clients_5_closes_the_sixth_at_once_and_the_five_keep_working()
    {
        using var server = ServerProcess.StartDefault("--max-clients", "5", "--log-level", "info");
        var five = new List<Socket>();
        try
        {
            for (int i = 0; i < 5; i++)
            {
                five.Add(Robust.Connect(server.Tcp));
                Robust.AssertEchoes(five[i], [(byte)i], $"client {i + 1}");
            }
            using (Socket sixth = Robust.Connect(server.Tcp))
            {
                TimeSpan t = Robust.AssertClosedByServer(sixth, 2000, "the 6th client");
                _out.WriteLine($"the 6th connection was closed {t.TotalMilliseconds:0.0} ms after connecting");
                Assert.True(t < TimeSpan.FromMilliseconds(500), $"the 6th connection took {t.TotalMilliseconds:0} ms to be closed");
            }
            for (int i = 0; i < 5; i++) Robust.AssertEchoes(five[i], [(byte)i, 0xAA], $"client {i + 1} after the refusal");
            Dictionary<string, long> c = Robust.Counters(server);
            Assert.Equal(1, c["tcp_refused_max_clients"]);
            Assert.Equal(5, c["tcp_open"]);
            Assert.Contains("max-clients=5", server.Stderr); // the effective limit, printed at start

            // A slot freed is a slot given.
            five[0].Dispose();
            five.RemoveAt(0);
            Robust.WaitForCounters(server, c => c["tcp_open"] == 4, "the first client's close seen");
            five.Add(Robust.Connect(server.Tcp));
            Robust.AssertEchoes(five[^1], [7, 7, 7], "the client taking the freed slot");
            Assert.Equal(1, Robust.Counters(server)["tcp_refused_max_clients"]);
        }
        finally
        {
            Robust.CloseAll(five);
        }
    }
}
