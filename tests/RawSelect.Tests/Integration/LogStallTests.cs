using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// A stderr reader that stops reading (a paused pager, a stuck log shipper) must cost log lines,
/// never clients: the server keeps serving, drops and counts what does not fit, says how many
/// once the reader is back, and still stops promptly on SIGTERM. stderr here is a pipe the test
/// does not read until it chooses to.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed partial class LogStallTests
{
    private readonly ITestOutputHelper _out;

    public LogStallTests(ITestOutputHelper output) => _out = output;

    /// <summary>The server with stderr on a pipe nobody reads yet, and stdout read for the ports.</summary>
    private static (Process P, IPEndPoint Tcp, IPEndPoint Udp) StartStalled(params string[] extra)
    {
        var psi = new ProcessStartInfo(ServerProcess.BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in (string[])["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", .. extra]) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        IPEndPoint? tcp = null, udp = null;
        while (tcp is null || udp is null)
        {
            Task<string?> t = p.StandardOutput.ReadLineAsync();
            if (!t.Wait(TimeSpan.FromSeconds(10)) || t.Result is null)
            {
                p.Kill();
                throw new InvalidOperationException("server did not report listening");
            }
            string[] parts = t.Result.Split(' ');
            if (parts[1] == "tcp") tcp = IPEndPoint.Parse(parts[2]); else udp = IPEndPoint.Parse(parts[2]);
        }
        return (p, tcp, udp);
    }

    private static void Kill(Process p)
    {
        if (!p.HasExited) { ServerProcess.Kill(p.Id, ServerProcess.SIGKILL); p.WaitForExit(5000); }
        p.Dispose();
    }

    /// <summary>Connects, echoes a few bytes, closes: one debug line at accept and one at close.</summary>
    private static void EchoOnce(IPEndPoint ep, int i)
    {
        using Socket s = EchoClient.Connect(ep);
        byte[] d = BitConverter.GetBytes(i);
        s.Send(d);
        var got = new byte[d.Length];
        int n = 0;
        while (n < d.Length)
        {
            int r = s.Receive(got, n, d.Length - n, SocketFlags.None);
            Assert.True(r > 0, $"connection {i}: EOF before the echo");
            n += r;
        }
        Assert.Equal(d, got);
    }

    [GeneratedRegex(@"info: log: (?<n>\d+) lines dropped")]
    private static partial Regex DroppedNotice();

    [GeneratedRegex(@"log_lines_dropped=(?<n>\d+)")]
    private static partial Regex DroppedCounter();

    [Fact]
    public async Task Clients_are_served_while_stderr_is_stalled_and_the_drops_are_counted_and_reported()
    {
        (Process p, IPEndPoint tcp, IPEndPoint udp) = StartStalled("--log-level", "debug");
        try
        {
            // Far more than the ~700 connections that filled a 64 KiB pipe and froze the server
            // before, and more lines than the server's own queue holds.
            const int connections = 4000;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < connections; i++) EchoOnce(tcp, i);
            byte[] u = EchoClient.Random(1000, seed: 7);
            Assert.Equal(u, EchoClient.UdpEcho(udp, u));
            _out.WriteLine($"{connections} connections echoed with stderr stalled in {sw.ElapsedMilliseconds} ms");

            // The counters line (SIGUSR1) is queued behind the stall too; read stderr now.
            ServerProcess.Kill(p.Id, ServerProcess.SIGUSR1);
            var lines = new List<string>();
            long notice = -1, counted = -1;
            bool askedAgain = false;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while ((notice < 0 || counted < 0) && DateTime.UtcNow < deadline)
            {
                Task<string?> t = p.StandardError.ReadLineAsync();
                if (!t.Wait(TimeSpan.FromSeconds(5)) || t.Result is null) break;
                lines.Add(t.Result);
                if (DroppedNotice().Match(t.Result) is { Success: true } m) notice = long.Parse(m.Groups["n"].Value);
                if (t.Result.Contains("info: counters ") && DroppedCounter().Match(t.Result) is { Success: true } c)
                    counted = long.Parse(c.Groups["n"].Value);
                // The first counters line may have been one of the dropped ones: once the notice
                // says the log has drained, ask again.
                if (notice >= 0 && counted < 0 && !askedAgain)
                {
                    askedAgain = true;
                    ServerProcess.Kill(p.Id, ServerProcess.SIGUSR1);
                }
            }
            _out.WriteLine($"read {lines.Count} lines; notice says {notice} dropped; counter says {counted}");
            Assert.True(notice > 0, $"no 'lines dropped' notice after the stall; last lines:\n{string.Join('\n', lines.TakeLast(5))}");
            Assert.True(counted >= notice, $"log_lines_dropped={counted} but the notice reported {notice}");
            // Every line that reached the pipe is whole: no torn lines.
            Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|error): ", l));
            Assert.True(lines.Count(l => l.Contains(" accepted on ")) < connections, "nothing was dropped: the stall did not happen");

            // Drained: the server still serves and still stops cleanly.
            EchoOnce(tcp, -1);
            _ = p.StandardError.ReadToEndAsync();
            ServerProcess.Kill(p.Id, ServerProcess.SIGTERM);
            Assert.True(p.WaitForExit(5000), "no exit after SIGTERM");
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            Kill(p);
        }
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData(ServerProcess.SIGTERM)]
    [InlineData(ServerProcess.SIGINT)]
    public void A_signal_stops_the_server_within_the_shutdown_bound_while_stderr_stays_stalled(int signal)
    {
        (Process p, IPEndPoint tcp, _) = StartStalled("--trace", "--shutdown-timeout", "1");
        try
        {
            // --trace writes a line per select call: a few hundred connections fill the pipe.
            for (int i = 0; i < 600; i++) EchoOnce(tcp, i);
            using Socket idle = EchoClient.Connect(tcp); // one still open at the signal
            EchoOnce(tcp, 600);

            var sw = Stopwatch.StartNew();
            ServerProcess.Kill(p.Id, signal);
            bool exited = p.WaitForExit(5000);
            _out.WriteLine($"signal {signal}: exited={exited} after {sw.ElapsedMilliseconds} ms with stderr stalled");
            Assert.True(exited, "the server did not exit with stderr stalled (it was blocked writing its log)");
            Assert.Equal(0, p.ExitCode);
            // The shutdown timeout is 1 s: flushing the open connection and the log together
            // stay within it, plus process start-up/teardown slack.
            Assert.True(sw.ElapsedMilliseconds < 3000, $"took {sw.ElapsedMilliseconds} ms");
        }
        finally
        {
            Kill(p);
        }
    }
}
