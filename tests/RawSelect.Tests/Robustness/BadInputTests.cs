using System.Diagnostics;
using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// Bad input of every kind, each while a second, well-behaved client makes round trips the whole
/// time: its every echo must be intact and none slow. Afterwards the server holds no more
/// connections or descriptors than the well-behaved client accounts for.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class BadInputTests
{
    private readonly ITestOutputHelper _out;

    public BadInputTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string> Kinds => new()
    {
        "random binary stream",
        "0xFF runs and telnet IAC sequences",
        "NUL bytes",
        "1-byte dribble",
        "connects and never sends",
        "resets in the middle of a large echo",
        "half-closes and never reads",
        "half-closes a small message and never reads",
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_hostile_peer_is_handled_and_a_well_behaved_client_is_served_throughout(string kind)
    {
        using var server = ServerProcess.StartDefault("--log-level", "info");
        int baseFds = server.OpenDescriptors();
        using var steady = SteadyClient.Start(server.Tcp);
        var clock = Stopwatch.StartNew();
        string detail = await Hostile(kind, server);
        long echoes = steady.Echoes;
        TimeSpan slowest = steady.MaxLatency;
        steady.Stop();
        _out.WriteLine($"{kind}: {detail}; the well-behaved client made {echoes} round trips in {clock.Elapsed.TotalSeconds:0.0} s, slowest {slowest.TotalMilliseconds:0.0} ms");
        Assert.True(echoes >= 20, $"the well-behaved client made only {echoes} round trips");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a round trip of the well-behaved client took {slowest.TotalMilliseconds:0} ms");

        // Only the well-behaved client is left: no connection or descriptor lingers.
        Robust.WaitForCounters(server, c => c["tcp_open"] == 1, "the hostile connection closed");
        Assert.Equal(baseFds + 1, server.OpenDescriptors());
        Assert.False(server.HasExited);
        SignalTests.AssertNoCrash(server.Stderr);
    }

    private async Task<string> Hostile(string kind, ServerProcess server)
    {
        switch (kind)
        {
            case "random binary stream":
            {
                byte[] data = EchoClient.Random(4 << 20, seed: 99);
                return await EchoWhole(server, data);
            }
            case "0xFF runs and telnet IAC sequences":
            {
                var rng = new Random(5);
                var ms = new MemoryStream();
                byte[][] iac = [[0xFF, 0xF4, 0xFF, 0xFD, 0x06], [0xFF, 0xFF], [0xFF, 0xFB, 0x01], [0xFF, 0xF3], [0xFF, 0xF8]];
                while (ms.Length < (2 << 20))
                {
                    ms.Write(Enumerable.Repeat((byte)0xFF, rng.Next(1, 70_000)).ToArray());
                    ms.Write(iac[rng.Next(iac.Length)]);
                }
                return await EchoWhole(server, ms.ToArray());
            }
            case "NUL bytes":
                return await EchoWhole(server, new byte[2 << 20]);
            case "1-byte dribble":
            {
                using Socket s = Robust.Connect(server.Tcp);
                byte[] data = EchoClient.Random(300, seed: 1);
                var got = new byte[data.Length];
                int have = 0;
                for (int i = 0; i < data.Length; i++)
                {
                    s.Send(data, i, 1, SocketFlags.None);
                    // Each byte comes back on its own, before the next is sent.
                    while (have <= i)
                    {
                        int n = s.Receive(got, have, got.Length - have, SocketFlags.None);
                        Assert.True(n > 0, $"EOF after {have} bytes of the dribble");
                        have += n;
                    }
                    Thread.Sleep(3);
                }
                Assert.Equal(data, got);
                s.Shutdown(SocketShutdown.Send);
                Assert.Equal(0, s.Receive(new byte[1]));
                return "300 bytes one at a time, each echoed before the next";
            }
            case "connects and never sends":
            {
                using Socket s = Robust.Connect(server.Tcp);
                await Task.Delay(1500);
                Assert.False(s.Poll(0, SelectMode.SelectRead), "the server closed a silent connection (no idle timeout was set)");
                Assert.Equal(2, Robust.Counters(server)["tcp_open"]);
                Robust.AssertEchoes(s, [0, 0xFF, 0x7F], "the silent client, finally speaking");
                return "silent for 1.5 s, kept open, then served";
            }
            case "resets in the middle of a large echo":
            {
                Socket s = Robust.Connect(server.Tcp);
                (long sent, bool stalled) = EchoClient.FillUntilStalled(s, new Pattern(11), stall: TimeSpan.FromMilliseconds(300),
                    maxTime: TimeSpan.FromSeconds(15), maxBytes: 64L << 20);
                Assert.True(stalled, "the server never pushed back");
                Dictionary<string, long> before = Robust.Counters(server);
                Assert.True(before["tcp_bytes_in"] > before["tcp_bytes_out"], $"no echo pending: {Robust.Format(before)}");
                Robust.Reset(s);
                Dictionary<string, long> c = Robust.WaitForCounters(server, c => c["tcp_open"] == 1, "the reset connection closed");
                Assert.Equal(1, c["tcp_closed_reset"]);
                return $"{sent} bytes sent unread, then RST; closed as reset";
            }
            case "half-closes and never reads":
            {
                Socket s = Robust.Connect(server.Tcp);
                (long sent, bool stalled) = EchoClient.FillUntilStalled(s, new Pattern(12), stall: TimeSpan.FromMilliseconds(300),
                    maxTime: TimeSpan.FromSeconds(15), maxBytes: 64L << 20);
                Assert.True(stalled, "the server never pushed back");
                s.Shutdown(SocketShutdown.Send);
                long rss0 = server.RssKiB();
                await Task.Delay(1500);
                long rss1 = server.RssKiB();
                // The server holds the connection (its echo is owed) with bounded memory.
                Assert.Equal(2, Robust.Counters(server)["tcp_open"]);
                Assert.True(rss1 - rss0 < 1024, $"RSS grew {rss1 - rss0} KiB while a half-closed peer did not read");
                s.Dispose(); // unread data: the close sends a RST, and the server drops the connection
                Robust.WaitForCounters(server, c => c["tcp_open"] == 1, "the half-closed connection closed");
                return $"{sent} bytes sent, FIN, never read for 1.5 s (RSS {rss0} -> {rss1} KiB), then closed";
            }
            case "half-closes a small message and never reads":
            {
                using Socket s = Robust.Connect(server.Tcp);
                s.Send(EchoClient.Random(1000, seed: 3));
                s.Shutdown(SocketShutdown.Send);
                // The echo fits the socket buffers: the server sends it, then its FIN, and is done
                // with the connection although the client never reads a byte.
                Dictionary<string, long> c = Robust.WaitForCounters(server, c => c["tcp_open"] == 1, "the half-closed connection finished");
                Assert.Equal(1, c["tcp_closed_eof"]);
                await Task.Delay(500);
                return "1000 bytes, FIN, never read; the server flushed, sent its FIN and closed";
            }
            default:
                throw new ArgumentException(kind);
        }
    }

    /// <summary>
    /// On a new connection each time, for at least a second (so the well-behaved client has
    /// round trips to make meanwhile): sends the data while reading its echo, half-closes, and
    /// checks every byte and the server's EOF.
    /// </summary>
    private static async Task<string> EchoWhole(ServerProcess server, byte[] data)
    {
        var clock = Stopwatch.StartNew();
        int rounds = 0;
        do
        {
            using Socket s = Robust.Connect(server.Tcp);
            byte[] got = await EchoClient.EchoAsync(s, data, halfClose: true);
            Assert.Equal(data.Length, got.Length);
            Assert.True(data.AsSpan().SequenceEqual(got), $"round {rounds}: the echo differs from what was sent");
            rounds++;
        } while (clock.Elapsed < TimeSpan.FromSeconds(1));
        Assert.Equal(rounds, Robust.Counters(server)["tcp_closed_eof"]);
        return $"{rounds} connections x {data.Length} bytes echoed intact, each ending in EOF";
    }
}
