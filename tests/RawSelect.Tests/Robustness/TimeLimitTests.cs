using System.Diagnostics;
using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// Time limits on the real binary: --idle-timeout closes the idle and spares the active; an idle
/// server with no timer pending makes no wake-ups at all (select waits forever); SIGTERM with a
/// client that never reads ends within --shutdown-timeout.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class TimeLimitTests
{
    private readonly ITestOutputHelper _out;

    public TimeLimitTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void Idle_timeout_1_closes_the_idle_connection_after_about_a_second_and_not_the_active_one()
    {
        using var server = ServerProcess.StartDefault("--idle-timeout", "1", "--log-level", "info");
        using Socket idle = Robust.Connect(server.Tcp);
        using Socket active = Robust.Connect(server.Tcp);
        Robust.AssertEchoes(idle, [1], "idle client (last activity)");
        var sinceIdleActivity = Stopwatch.StartNew();

        // The active client talks every 200 ms; meanwhile the idle one waits for its close.
        Task<TimeSpan> closed = Task.Run(() =>
        {
            Robust.AssertClosedByServer(idle, 5000, "the idle client");
            return sinceIdleActivity.Elapsed;
        });
        int round = 0;
        while (sinceIdleActivity.Elapsed < TimeSpan.FromSeconds(2.6))
        {
            Robust.AssertEchoes(active, [(byte)round++, 2, 3], $"active client, round {round}");
            Thread.Sleep(200);
        }
        Assert.True(closed.Wait(TimeSpan.FromSeconds(5)), "the idle connection was never closed");
        TimeSpan t = closed.Result;
        _out.WriteLine($"idle connection closed {t.TotalMilliseconds:0} ms after its last activity; the active one made {round} round trips");
        Assert.InRange(t.TotalMilliseconds, 900, 2000);

        // The active one is still open and served after more than twice the timeout.
        Robust.AssertEchoes(active, [0xFE], "active client at the end");
        Dictionary<string, long> c = Robust.Counters(server);
        Assert.Equal(1, c["tcp_closed_idle"]);
        Assert.Equal(1, c["tcp_open"]);
    }

    /// <summary>
    /// With no connection (so no idle deadline) and no other timer, select must wait forever:
    /// across ~2.5 s the number of select calls grows only by the wake-up of the SIGUSR1 that
    /// reads it (plus an EINTR, if the signal lands on the loop thread). With --idle-timeout set,
    /// the same holds once the last connection is gone.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_idle_server_makes_no_periodic_wake_ups(bool withIdleTimeout)
    {
        string[] extra = withIdleTimeout ? ["--idle-timeout", "1"] : [];
        using var server = ServerProcess.StartDefault(["--log-level", "info", .. extra]);
        if (withIdleTimeout)
        {
            // A connection comes, idles out, and leaves no timer behind.
            using Socket s = Robust.Connect(server.Tcp);
            Robust.AssertEchoes(s, [1, 2], "client");
            Robust.AssertClosedByServer(s, 3000, "idle client");
            Robust.WaitForCounters(server, c => c["tcp_closed_idle"] == 1 && c["tcp_open"] == 0, "idle close");
        }
        Thread.Sleep(200);
        Dictionary<string, long> a = Robust.Counters(server);
        Thread.Sleep(2500);
        Dictionary<string, long> b = Robust.Counters(server);
        long calls = b["select_calls"] - a["select_calls"];
        long eintr = b["select_eintr"] - a["select_eintr"];
        _out.WriteLine($"select calls over 2.5 s idle: {calls} (of which EINTR: {eintr})");
        Assert.True(calls - eintr == 1,
            $"select returned {calls} times ({eintr} EINTR) in 2.5 s of idleness; only the SIGUSR1 wake-up was expected");
    }

    /// <summary>
    /// A client that wrote and never reads: the server holds echo it can never flush. SIGTERM
    /// must still end the server within --shutdown-timeout (and not before: it tries to flush).
    /// </summary>
    [Theory]
    [InlineData("1", 800, 1500)]
    [InlineData("0", 0, 500)]
    public void Sigterm_with_a_client_that_never_reads_exits_0_within_the_shutdown_timeout(string timeout, int minMs, int maxMs)
    {
        using var server = ServerProcess.StartDefault("--shutdown-timeout", timeout, "--log-level", "info");
        using Socket stuck = Robust.Connect(server.Tcp);
        using Socket quiet = Robust.Connect(server.Tcp);
        Robust.AssertEchoes(quiet, [1], "an idle client");
        (long sent, bool stalled) = EchoClient.FillUntilStalled(stuck, new Pattern(3), stall: TimeSpan.FromMilliseconds(300),
            maxTime: TimeSpan.FromSeconds(15), maxBytes: 256L << 20);
        Assert.True(stalled, $"the server kept taking data ({sent} bytes) from a client that never reads");
        Dictionary<string, long> c = Robust.Counters(server);
        Assert.True(c["tcp_bytes_in"] > c["tcp_bytes_out"], $"the server holds no echo: {Robust.Format(c)}");

        (int? code, TimeSpan elapsed) = server.StopTimed(ServerProcess.SIGTERM, TimeSpan.FromSeconds(10));
        _out.WriteLine($"--shutdown-timeout {timeout}: {sent} bytes sent, never read; SIGTERM to exit {elapsed.TotalMilliseconds:0} ms, exit {code}");
        Assert.True(code is not null, "the server did not exit within 10 s of SIGTERM");
        Assert.Equal(0, code);
        Assert.InRange(elapsed.TotalMilliseconds, minMs, maxMs);
        Dictionary<string, long> exit = Robust.ExitCounters(server);
        Assert.Equal(2, exit["tcp_closed_shutdown"]);
        Assert.Equal(0, exit["tcp_open"]);
        SignalTests.AssertNoCrash(server.Stderr);
    }
}
