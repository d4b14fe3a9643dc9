using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace RawSelect.Tests.Windows;

/// <summary>
/// With --fd-setsize 1024, more clients than the fd_set holds (1024 sockets, a count): the extra
/// ones are accepted and closed at once (refused politely, counted, logged), the others keep
/// being served, and a slot freed by a leaving client is used again. Without it, the sets hold
/// 16384 sockets and 1200 clients are all served. Each test has its own server so the counts
/// start from zero.
/// </summary>
[Collection(WineCollection.Name)]
public sealed partial class WineCapacityTests : IClassFixture<WinePrefixUser>
{
    private const int FdSetSize = 1024;
    private const int Extra = 16;
    private readonly WinePrefixUser _prefix;
    private readonly ITestOutputHelper _out;

    public WineCapacityTests(WinePrefixUser prefix, ITestOutputHelper output)
    {
        _prefix = prefix;
        _out = output;
    }

    [WineFact]
    public void Clients_beyond_the_derived_max_clients_are_refused_and_the_rest_keep_working()
    {
        _prefix.Prefix.EnsureReady();
        using WineServer server = WineServer.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--fd-setsize", "1024"], 2, TimeSpan.FromSeconds(90));
        TimingLog.Write(_out, $"exec to listening: {server.StartupTime.TotalMilliseconds:0} ms");
        // The server derives max-clients from the selector's capacity (1024 sockets) less what it
        // holds itself, and says so at start.
        int maxClients = int.Parse(MaxClients().Match(server.WaitForStderr("serving:", TimeSpan.FromSeconds(30))).Groups[1].Value);
        Assert.InRange(maxClients, FdSetSize - 16, FdSetSize - 1);
        CheckOverflow(server, maxClients, refusedCounter: "tcp_refused_max_clients");
    }

    [WineFact]
    public void With_max_clients_above_FD_SETSIZE_the_selector_count_limit_refuses_the_rest()
    {
        _prefix.Prefix.EnsureReady();
        // --max-clients larger than the fd_set: now the Winsock selector's own limit, a count of
        // registered sockets, is what stops admission. It holds the wake-up socket and the
        // listener, so 1022 clients fit.
        using WineServer server = WineServer.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--max-clients", "100000", "--fd-setsize", "1024"], 1, TimeSpan.FromSeconds(90));
        TimingLog.Write(_out, $"exec to listening: {server.StartupTime.TotalMilliseconds:0} ms");
        CheckOverflow(server, FdSetSize - 2, refusedCounter: "tcp_refused_fd_limit");
    }

    [WineFact]
    public void Without_fd_setsize_1200_clients_are_all_served_and_urgent_bytes_echo_in_order()
    {
        const int Many = 1200;
        _prefix.Prefix.EnsureReady();
        using WineServer server = WineServer.Start(["--tcp", "127.0.0.1:0", "--no-udp"], 1, TimeSpan.FromSeconds(90));
        string serving = server.WaitForStderr("serving:", TimeSpan.FromSeconds(30));
        Assert.Contains("fd-setsize=16384", serving);
        var clients = new List<Socket>();
        var sw = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < Many; i++)
            {
                clients.Add(Clients.Connect(server.Tcp));
                if (i % 64 == 63) Assert.Equal(new byte[] { 1 }, Clients.RoundTrip(clients[i - 63], [1]));
            }
            TimingLog.Write(_out, $"{Many} connections to rawselect.exe under Wine: {sw.ElapsedMilliseconds} ms");
            sw.Restart();
            for (int i = 0; i < Many; i++) clients[i].Send(BitConverter.GetBytes(i));
            var back = new byte[4];
            for (int i = 0; i < Many; i++)
            {
                for (int off = 0; off < 4;)
                {
                    int n = clients[i].Receive(back, off, 4 - off, SocketFlags.None);
                    Assert.True(n > 0, $"client {i} was closed: past 1024 sockets?");
                    off += n;
                }
                Assert.Equal(i, BitConverter.ToInt32(back));
            }
            TimingLog.Write(_out, $"{Many} clients each echoed at once under Wine: {sw.ElapsedMilliseconds} ms");

            // SO_OOBINLINE through the Winsock seam: the urgent byte comes back between the others.
            Socket u = clients[Many - 1];
            u.Send("AB"u8);
            Thread.Sleep(20);
            u.Send("!"u8, SocketFlags.OutOfBand);
            Thread.Sleep(20);
            u.Send("CD"u8);
            var got = new byte[5];
            for (int off = 0; off < 5;)
            {
                int n = u.Receive(got, off, 5 - off, SocketFlags.None);
                Assert.True(n > 0, "the urgent-data client was closed");
                off += n;
            }
            Assert.Equal("AB!CD", System.Text.Encoding.ASCII.GetString(got));

            Assert.Equal(0, server.StopWithCtrlC(TimeSpan.FromSeconds(20)));
            string err = server.Stderr;
            Assert.Equal(0, Counter(err, "tcp_refused_fd_limit"));
            Assert.Equal(0, Counter(err, "tcp_refused_max_clients"));
            Assert.Equal(Many, Counter(err, "tcp_accepted"));
        }
        finally
        {
            foreach (Socket c in clients) c.Dispose();
        }
    }

    private void CheckOverflow(WineServer server, int capacity, string refusedCounter)
    {
        var clients = new List<Socket>();
        var sw = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < capacity + Extra; i++)
            {
                clients.Add(Clients.Connect(server.Tcp));
                // Let the server keep up with the backlog (128) rather than have the kernel
                // drop SYNs and the client retry a second later.
                if (i % 64 == 63) Assert.Equal(new byte[] { 1 }, Clients.RoundTrip(clients[i - 63], [1]));
            }
            TimingLog.Write(_out, $"{clients.Count} connections to rawselect.exe under Wine: {sw.ElapsedMilliseconds} ms");

            // The extra ones were accepted and closed: each sees end of stream, not a hang.
            sw.Restart();
            for (int i = capacity; i < clients.Count; i++)
                Assert.True(Clients.IsClosedByPeer(clients[i], TimeSpan.FromSeconds(10)), $"client {i} (beyond {capacity}) was not closed by the server");

            TimingLog.Write(_out, $"{Extra} refused clients saw the close: {sw.ElapsedMilliseconds} ms");

            // Every admitted client is still served, in its own bytes: all of them at once, so
            // one select reports many ready sockets.
            sw.Restart();
            for (int i = 0; i < capacity; i++) clients[i].Send(BitConverter.GetBytes(i));
            var back = new byte[4];
            for (int i = 0; i < capacity; i++)
            {
                for (int off = 0; off < 4;)
                {
                    int n = clients[i].Receive(back, off, 4 - off, SocketFlags.None);
                    Assert.True(n > 0, $"admitted client {i} was closed");
                    off += n;
                }
                Assert.Equal(i, BitConverter.ToInt32(back));
            }
            TimingLog.Write(_out, $"{capacity} admitted clients each echoed at once: {sw.ElapsedMilliseconds} ms");

            // A client that leaves frees its slot for the next one.
            for (int i = 0; i < 4; i++) clients[i].Dispose();
            Thread.Sleep(500);
            using Socket late = Clients.Connect(server.Tcp);
            Assert.Equal("again"u8.ToArray(), Clients.RoundTrip(late, "again"u8.ToArray()));

            // Ctrl+C with a thousand clients connected: a clean exit, and the counters say why
            // the extra clients were refused.
            sw.Restart();
            Assert.Equal(0, server.StopWithCtrlC(TimeSpan.FromSeconds(20)));
            TimingLog.Write(_out, $"Ctrl+C to exit with {capacity} clients connected: {sw.ElapsedMilliseconds} ms");
            string err = server.Stderr;
            long refused = Counter(err, refusedCounter);
            Assert.True(refused >= Extra, $"{refusedCounter}={refused}, expected at least {Extra}:\n{Tail(err)}");
            Assert.Equal(capacity + Extra + 1 - refused, Counter(err, "tcp_accepted"));
        }
        finally
        {
            foreach (Socket c in clients) c.Dispose();
        }
    }

    private static long Counter(string log, string name)
    {
        Match m = Regex.Match(log, $@"\b{name}=(\d+)");
        Assert.True(m.Success, $"no {name} in the exit counters:\n{Tail(log)}");
        return long.Parse(m.Groups[1].Value);
    }

    private static string Tail(string s) => s.Length > 2000 ? s[^2000..] : s;

    [GeneratedRegex(@"max-clients=(\d+)")]
    private static partial Regex MaxClients();
}

/// <summary>A class fixture that only hands out the shared prefix: these tests start their own servers.</summary>
public sealed class WinePrefixUser
{
    public WinePrefixUser(WinePrefix prefix) => Prefix = prefix;

    public WinePrefix Prefix { get; }
}
