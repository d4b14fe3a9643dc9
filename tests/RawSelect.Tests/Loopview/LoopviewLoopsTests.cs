using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using Xunit.Abstractions;

namespace RawSelect.Tests.Loopview;

/// <summary>
/// A --loops 2 trace from the real binary: every trace line carries loop=K, and each loop has
/// its own descriptor table, so the viewer shows one loop at a time (the picker) beside a
/// summary of every loop. The figures the page shows for each loop must equal the test's own
/// reading of that loop's lines.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed partial class LoopviewLoopsTests
{
    private readonly ITestOutputHelper _out;

    public LoopviewLoopsTests(ITestOutputHelper output) => _out = output;

    [GeneratedRegex(@" trace: t=\d+ loop=(\d+) ")]
    private static partial Regex LoopTag();

    /// <summary>Loop K's trace lines, with the tag taken out: what a single-loop trace of it would be.</summary>
    private static List<string> LinesOf(string[] lines, int loop) =>
        lines.Select(l => (Line: l, M: LoopTag().Match(l)))
            .Where(x => x.M.Success && x.M.Groups[1].Value == loop.ToString())
            .Select(x => x.Line.Remove(x.M.Groups[1].Index - "loop=".Length, "loop=".Length + x.M.Groups[1].Length + 1))
            .ToList();

    [BrowserFact]
    public async Task The_picker_shows_each_loop_of_a_two_loop_trace_and_the_summary_lists_both()
    {
        Directory.CreateDirectory(Page.ArtifactsDir);
        string path = Path.Combine(Page.ArtifactsDir, "loops2-trace.txt");
        File.Delete(path);
        using (ServerProcess server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--loops", "2", "--trace-file", path]))
        {
            var sockets = new List<Socket>();
            for (int i = 0; i < 60; i++) sockets.Add(EchoClient.Connect(server.Tcp));
            for (int round = 0; round < 5; round++)
                foreach (Socket s in sockets) Assert.Equal(new[] { (byte)round }, await EchoClient.EchoAsync(s, [(byte)round], halfClose: false));
            foreach (Socket s in sockets) s.Dispose();
            Thread.Sleep(200);
            Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(10)));
        }
        string[] lines = File.ReadAllLines(path);
        TraceFigures loop0 = TraceFigures.Of(LinesOf(lines, 0)), loop1 = TraceFigures.Of(LinesOf(lines, 1));
        _out.WriteLine($"loop 0: {loop0.Calls} calls, loop 1: {loop1.Calls} calls");
        Assert.True(loop0.Calls > 10 && loop1.Calls > 10, "both loops served");

        using Chromium browser = await Chromium.StartAsync(1600, 1200);
        Page page = await Page.OpenAsync(browser);
        Assert.Equal("ready", await page.LoadAsync(0, path));
        Assert.Equal("", await page.ErrorAsync(0));
        Assert.Equal("block", (string)(await browser.EvalAsync("getComputedStyle(document.getElementById('loops-0')).display"))!);
        Assert.Equal("0,1", (string)(await browser.EvalAsync("[...document.getElementById('loop-0').options].map(o => o.value).join(',')"))!);
        await page.AssertFiguresAsync(0, loop0);
        Assert.Equal(loop0.Calls.ToString(), await browser.TextAsync("#loopsum-0-0 td:nth-child(2)"));
        Assert.Equal(loop1.Calls.ToString(), await browser.TextAsync("#loopsum-0-1 td:nth-child(2)"));

        await browser.EvalAsync("(s => { s.value = '1'; s.dispatchEvent(new Event('change')); })(document.getElementById('loop-0'))");
        await page.AssertFiguresAsync(0, loop1);
        Assert.Equal("true", (await browser.EvalAsync("String(document.getElementById('loopsum-0-1').classList.contains('picked'))"))!.ToString());
        string call = await browser.TextAsync("#call-0") ?? "";
        Assert.All(call.Split('\n'), l => Assert.Contains(" loop=1 ", l)); // the call's own lines, not loop 0's in between
        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);
        await browser.ScreenshotAsync(Path.Combine(Page.ArtifactsDir, "loops2-screenshot.png"));
    }
}
