using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit.Abstractions;

namespace RawSelect.Tests.Loopview;

/// <summary>
/// The viewer on a trace the real binary wrote under real load: 200 echo connections for a few
/// seconds, stderr to a file, SIGTERM by PID. The page's figures must equal the test's own reading
/// of the same file, and the run leaves a screenshot (artifacts/loopview/screenshot.png).
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class LoopviewRealTraceTests
{
    private const int Connections = 200;
    private readonly ITestOutputHelper _out;

    public LoopviewRealTraceTests(ITestOutputHelper output) => _out = output;

    /// <summary>Runs the server with --trace (and the backend, if given) under load; returns the trace file.</summary>
    private async Task<string> TraceUnderLoad(string name, params string[] extra)
    {
        Directory.CreateDirectory(Page.ArtifactsDir);
        string path = Path.Combine(Page.ArtifactsDir, name);
        File.Delete(path);
        // The shell sends stderr to the file, then execs the server: the PID is the server's.
        using ServerProcess server = ServerProcess.Start(
            ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--trace", .. extra],
            shellPrefix: $"exec 2>'{path}'");
        IPEndPoint ep = server.Tcp;
        var sockets = new List<Socket>();
        for (int i = 0; i < Connections; i++) sockets.Add(EchoClient.Connect(ep));

        // Each client echoes a small message now and then: a few ready among 200 watched.
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        long echoes = 0;
        await Task.WhenAll(sockets.Select(async (s, i) =>
        {
            var rnd = new Random(i);
            byte[] msg = new byte[64], back = new byte[64];
            rnd.NextBytes(msg);
            while (DateTime.UtcNow < until)
            {
                await s.SendAsync(msg, SocketFlags.None);
                int got = 0;
                while (got < msg.Length)
                {
                    int n = await s.ReceiveAsync(back.AsMemory(got), SocketFlags.None);
                    if (n == 0) throw new IOException("server closed the connection");
                    got += n;
                }
                Assert.Equal(msg, back);
                Interlocked.Increment(ref echoes);
                await Task.Delay(rnd.Next(5, 60));
            }
        }));
        foreach (Socket s in sockets) s.Dispose();
        byte[] u = EchoClient.Random(100, seed: 5);
        Assert.Equal(u, EchoClient.UdpEcho(server.Udp, u));
        Thread.Sleep(200); // let the server see the closes before the signal
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(10)));
        _out.WriteLine($"{name}: {echoes} echoes over {Connections} connections, trace {new FileInfo(path).Length / 1e6:F1} MB");
        return path;
    }

    private static bool HasBackendOption() => ServerProcess.RunToExit("--help").Out.Contains("--backend");

    [BrowserFact]
    public async Task The_page_computes_from_a_real_trace_what_the_test_computes_and_saves_a_screenshot()
    {
        string select = await TraceUnderLoad("select-trace.txt");
        // With the poll/epoll backends, the epoll trace of the same load goes beside it.
        string? epoll = HasBackendOption() ? await TraceUnderLoad("epoll-trace.txt", "--backend", "epoll") : null;

        TraceFigures expected = TraceFigures.Of(select);
        _out.WriteLine($"select: {expected.Calls} calls, mean nfds {expected.MeanNfds:F1}, mean ready {expected.MeanReady:F2}, waited {expected.WaitedShare:P1}");
        Assert.True(expected.Calls > 100, $"only {expected.Calls} calls under load");
        // nfds climbs while the connections arrive, then stays past their count: the mean is
        // well above half of it (how far depends on how many calls the connect phase took).
        Assert.True(expected.MeanNfds > Connections / 2, $"mean nfds {expected.MeanNfds} with {Connections} connections");
        Assert.True(expected.Roles.GetValueOrDefault("tcp-connection") >= 2 * Connections, "every connection's add and remove line");
        Assert.Equal(2, expected.Roles.GetValueOrDefault("wake-pipe"));
        Assert.Equal(2, expected.Roles.GetValueOrDefault("tcp-listener"));
        Assert.Equal(2, expected.Roles.GetValueOrDefault("udp-socket"));

        using Chromium browser = await Chromium.StartAsync(1600, 1200);
        Page page = await Page.OpenAsync(browser);
        var sw = Stopwatch.StartNew();
        Assert.Equal("ready", await page.LoadAsync(0, select));
        _out.WriteLine($"select trace loaded in {sw.ElapsedMilliseconds} ms");
        Assert.Equal("", await page.ErrorAsync(0));
        await page.AssertFiguresAsync(0, expected);

        // Hover a connection's row in the middle of the run: the tooltip names it and its peer.
        string[] lines = File.ReadAllLines(select);
        string addLine = lines.First(l => l.Contains(" add tcp-connection "));
        string[] words = addLine[addLine.IndexOf(" fd ", StringComparison.Ordinal)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int fd = int.Parse(words[1]);
        // The run has as many calls as the load gave it, often more than the raster has columns:
        // then the column under the pointer stands for a run of calls, and the tooltip names it.
        int mid = (int)await page.FigureAsync("calls", 0) / 2;
        HoveredCell cell = await page.HoverCellAsync(0, mid, fd);
        _out.WriteLine($"hover call {mid}: column of calls {cell.First}..{cell.Last} ({expected.Calls} calls, {cell.Cols} columns): {cell.Tip}");
        Assert.InRange(mid, cell.First, cell.Last);
        Assert.Matches($@"^fd {fd} tcp-connection 127\.\d+\.\d+\.\d+:\d+ · {Page.CallsText(cell.First, cell.Last)}: watched read", cell.Tip);

        if (epoll is not null)
        {
            Assert.Equal("ready", await page.LoadAsync(1, epoll));
            await page.AssertFiguresAsync(1, TraceFigures.Of(epoll));
        }
        await browser.EvalAsync("document.getElementById('panel-0').dispatchEvent(new MouseEvent('mousedown', {bubbles: true}))");
        await browser.KeyAsync("End", 35);
        await browser.MouseMoveAsync(0, 0);
        string shot = Path.Combine(Page.ArtifactsDir, "screenshot.png");
        await browser.ScreenshotAsync(shot);
        Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is an image of something");
        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);

        // The contract: every trace line carries t= (microseconds since start).
        Assert.True(expected.TimedLines == expected.TraceLines,
            $"{expected.TraceLines - expected.TimedLines} of {expected.TraceLines} trace lines have no t=");
    }
}
