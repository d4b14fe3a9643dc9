using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace RawSelect.Tests.Loopview;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "Browser (headless Chromium)";
}

/// <summary>
/// The viewer in a real browser, on contract traces written by hand for every backend (select,
/// Winsock select, poll, epoll), with every prefix the contract allows and the non-trace lines a
/// trace normally holds. Each figure is checked three ways: by hand, by the test's own parser, and
/// as the page shows it.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LoopviewTests
{
    private readonly ITestOutputHelper _out;

    public LoopviewTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string, int, double, double, double, double, int> Fixtures => new()
    {
        // file, calls, mean ready, mean nfds, waited share, seconds, failed waits
        { "select.trace", 5, 4 / 5.0, 49 / 5.0, 21 / 22.0, 0.029, 1 },
        { "winsock.trace", 3, 1 / 3.0, 6 / 3.0, 9 / 10.0, 0.0093, 1 },
        { "poll.trace", 4, 3 / 4.0, 11 / 4.0, 12.5 / 14.5, 0.014, 1 },
        { "epoll.trace", 4, 4 / 4.0, 14 / 4.0, 11.5 / 13.5, 0.011, 1 },
    };

    [Fact]
    public void The_test_parser_agrees_with_the_hand_counts()
    {
        foreach (object[] row in Fixtures)
        {
            TraceFigures f = TraceFigures.Of(Page.Fixture((string)row[0]));
            Assert.Equal((int)row[1], f.Calls);
            Page.AssertClose((double)row[2], f.MeanReady, row[0] + " mean ready");
            Page.AssertClose((double)row[3], f.MeanNfds, row[0] + " mean nfds");
            Page.AssertClose((double)row[4], f.WaitedShare, row[0] + " waited share");
            Page.AssertClose((double)row[5], f.Seconds, row[0] + " seconds");
            Assert.Equal((int)row[6], f.Errors);
        }
    }

    [BrowserFact]
    public async Task Every_backend_trace_gives_the_figures_counted_by_hand_and_by_the_test()
    {
        using Chromium browser = await Chromium.StartAsync();
        Page page = await Page.OpenAsync(browser);
        foreach (object[] row in Fixtures)
        {
            string file = (string)row[0];
            Assert.Equal("ready", await page.LoadAsync(0, Page.Fixture(file)));
            Assert.Equal("", await page.ErrorAsync(0));
            Assert.Equal((int)row[1], (int)await page.FigureAsync("calls", 0));
            Page.AssertClose((double)row[2], await page.FigureAsync("mean-ready", 0), file + " mean ready");
            Page.AssertClose((double)row[3], await page.FigureAsync("mean-nfds", 0), file + " mean nfds");
            Page.AssertClose((double)row[4], await page.FigureAsync("waited-share", 0), file + " waited share");
            Page.AssertClose((double)row[5], await page.FigureAsync("seconds", 0), file + " seconds");
            await page.AssertFiguresAsync(0, TraceFigures.Of(Page.Fixture(file)));
        }
        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);
    }

    [BrowserFact]
    public async Task Two_traces_side_by_side_hover_names_the_descriptor_and_the_keys_step_call_by_call()
    {
        using Chromium browser = await Chromium.StartAsync();
        Page page = await Page.OpenAsync(browser);
        Assert.Equal("ready", await page.LoadAsync(0, Page.Fixture("select.trace")));
        Assert.Equal("ready", await page.LoadAsync(1, Page.Fixture("epoll.trace")));
        await page.AssertFiguresAsync(0, TraceFigures.Of(Page.Fixture("select.trace")));
        await page.AssertFiguresAsync(1, TraceFigures.Of(Page.Fixture("epoll.trace")));
        Assert.Equal("select", await browser.TextAsync("#backend-0"));
        Assert.Equal("epoll", await browser.TextAsync("#backend-1"));

        // fd 9 was a connection from the second call on; in the first call it was nothing yet.
        string tip = await page.HoverAsync(0, 1, 9);
        Assert.Contains("fd 9 tcp-connection 127.0.0.1:40312", tip);
        Assert.Contains("READY read", tip);
        Assert.Contains("fd 6 tcp-listener 127.0.0.1:5000", await page.HoverAsync(0, 0, 6));
        Assert.EndsWith("call 1: not watched", await page.HoverAsync(0, 0, 9));
        Assert.EndsWith("call 3: watched write, READY write", await page.HoverAsync(0, 2, 9));
        // the fifth call gives the same sets as the fourth (parsed once, kept for both)
        Assert.EndsWith("call 4: watched read", await page.HoverAsync(0, 3, 9));
        Assert.EndsWith("call 5: watched read", await page.HoverAsync(0, 4, 9));
        Assert.EndsWith("call 5: watched read", await page.HoverAsync(0, 4, 4));
        // epoll: fd 7 was registered for in+out at the third wait, and came back writable.
        string tip7 = await page.HoverAsync(1, 2, 7);
        Assert.Contains("fd 7 tcp-connection 127.0.0.1:41000", tip7);
        Assert.Contains("watched read, watched write, READY write", tip7);

        // The selected call in full: its wait line and what its dispatch wrote, stepped with the keys.
        await browser.EvalAsync("document.getElementById('panel-0').dispatchEvent(new MouseEvent('mousedown', {bubbles: true}))");
        Assert.StartsWith("2026-12-02T01:02:03.002Z trace: t=2000 select nfds=9 read={4,6,8}", await browser.TextAsync("#call-0"));
        await browser.KeyAsync("ArrowRight", 39);
        await browser.KeyAsync("ArrowRight", 39);
        Assert.Equal("2", (string?)await browser.EvalAsync("document.getElementById('stats-0').dataset.call"));
        string call = (await browser.TextAsync("#call-0"))!;
        Assert.StartsWith("2026-12-02T01:02:03.017Z trace: t=17500 select nfds=10 read={4,6,8} write={9}", call);
        Assert.Contains("handlers ready=2 took=0.300ms", call);
        string stats = (await browser.TextAsync("#stats-0"))!;
        Assert.Contains("nfds 10", stats);
        Assert.Contains("watched 4", stats);
        Assert.Contains("ready 2", stats);
        Assert.Contains("waited 2.000 ms", stats);
        Assert.Contains("handlers 0.300 ms", stats);
        await browser.KeyAsync("End", 35);
        Assert.Equal("4", (string?)await browser.EvalAsync("document.getElementById('stats-0').dataset.call"));
        await browser.KeyAsync("ArrowLeft", 37);
        Assert.Equal("3", (string?)await browser.EvalAsync("document.getElementById('stats-0').dataset.call"));
        Assert.Contains("-> -1 EINTR", await browser.TextAsync("#call-0"));
        // the slider is the same selection
        Assert.Equal("3", (string?)await browser.EvalAsync("document.getElementById('slider-0').value"));

        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);
    }

    [BrowserFact]
    public async Task Dropping_two_files_loads_both_side_by_side_and_one_dropped_on_B_replaces_B()
    {
        using Chromium browser = await Chromium.StartAsync();
        Page page = await Page.OpenAsync(browser);
        string Js(string fixture) => System.Text.Json.JsonSerializer.Serialize(File.ReadAllText(Page.Fixture(fixture)));
        string drop = "((names, texts, target) => { const dt = new DataTransfer();"
            + " names.forEach((n, i) => dt.items.add(new File([texts[i]], n, {type: 'text/plain'})));"
            + " const el = document.getElementById(target), r = el.getBoundingClientRect();"
            + " el.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt, clientX: r.left + 20, clientY: r.top + 20})); })";
        await browser.EvalAsync($"{drop}(['poll.trace', 'epoll.trace'], [{Js("poll.trace")}, {Js("epoll.trace")}], 'summary')");
        await browser.WaitForAsync("['panel-0','panel-1'].every(id => (p => p && p.dataset.state === 'ready')(document.getElementById(id)))", TimeSpan.FromSeconds(20));
        Assert.Equal("poll", await browser.TextAsync("#backend-0"));
        Assert.Equal("epoll", await browser.TextAsync("#backend-1"));
        Assert.Equal(true, (bool?)await browser.EvalAsync("document.getElementById('panels').classList.contains('two')"));

        await browser.EvalAsync($"{drop}(['winsock.trace'], [{Js("winsock.trace")}], 'panel-1')");
        await browser.WaitForAsync("document.getElementById('backend-1').textContent === 'winsock'", TimeSpan.FromSeconds(20));
        Assert.Equal("poll", await browser.TextAsync("#backend-0"));
        await page.AssertFiguresAsync(1, TraceFigures.Of(Page.Fixture("winsock.trace")));
        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);
    }

    public static TheoryData<string, string, int> Malformed => new()
    {
        // name, what replaces the line, its line number
        { "a set not closed", "trace: t=12200 select nfds=10 read={4,6,8,9 write={} timeout=inf -> 0 waited=1.000ms", 9 },
        { "an unknown kind of trace line", "trace: t=12200 selekt nfds=10", 9 },
        { "no waited=", "2026-12-02T01:02:03.012Z trace: t=12200 select nfds=10 read={4} write={} timeout=inf -> 0", 9 },
        { "a bad fd line", "trace: t=12100 fd nine add tcp-connection 127.0.0.1:1", 6 },
        { "a bad handlers line", "trace: t=12110 handlers ready=1 took=fast", 8 },
        { "a poll line whose nfds disagrees", "<7>trace: t=10 poll nfds=3 fds={3:in,5:in} timeout=inf -> 0 waited=1.000ms", 4 },
        { "an epoll_ctl without events", "trace: t=100 epoll_ctl ADD fd=3", 1 },
    };

    private static string WriteTemp(string name, string text)
    {
        string dir = Path.Combine(Page.ArtifactsDir, "malformed");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [BrowserFact]
    public async Task A_malformed_or_truncated_trace_shows_one_line_naming_the_first_bad_line_and_nothing_in_the_console()
    {
        using Chromium browser = await Chromium.StartAsync();
        Page page = await Page.OpenAsync(browser);
        string[] select = File.ReadAllLines(Page.Fixture("select.trace"));
        string[] poll = File.ReadAllLines(Page.Fixture("poll.trace"));
        string[] epoll = File.ReadAllLines(Page.Fixture("epoll.trace"));
        int n = 0;
        foreach (object[] row in Malformed)
        {
            string bad = (string)row[1];
            int lineNo = (int)row[2];
            string[] lines = (bad.StartsWith("<7>") ? poll : bad.Contains("epoll") ? epoll : select).ToArray();
            lines[lineNo - 1] = bad;
            lines[^1] = lines[^2]; // a second bad line later must not be the one named
            if (lineNo < lines.Length - 2) lines[lineNo + 1] = "trace: garbage";
            string path = WriteTemp($"bad-{n++}.trace", string.Join('\n', lines) + "\n");
            await CheckError(page, path, lineNo, bad, (string)row[0]);
        }

        // Truncated: the last line cut in the middle, as a copy taken while the server ran.
        string full = File.ReadAllText(Page.Fixture("select.trace"));
        string cut = full[..full.LastIndexOf("took=", StringComparison.Ordinal)] + "took=0.";
        string[] cutLines = cut.Split('\n');
        string truncated = WriteTemp("truncated.trace", cut);
        await CheckError(page, truncated, cutLines.Length, cutLines[^1], "truncated");
        Assert.Contains("truncated", await page.ErrorAsync(0));

        // A file that holds no trace at all says so, in one line too.
        string none = WriteTemp("none.trace", "info: serving\nhello\n");
        Assert.Equal("error", await page.LoadAsync(0, none));
        Assert.Contains("no trace lines", await page.ErrorAsync(0));

        // And the page is not left broken: a good trace loads after a bad one.
        Assert.Equal("ready", await page.LoadAsync(0, Page.Fixture("poll.trace")));
        Assert.Equal("", await page.ErrorAsync(0));

        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);
    }

    private static async Task CheckError(Page page, string path, int lineNo, string text, string what)
    {
        Assert.Equal("error", await page.LoadAsync(0, path));
        string err = await page.ErrorAsync(0);
        Assert.False(string.IsNullOrEmpty(err), what + ": no error shown");
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith($"line {lineNo}: ", err);
        Assert.Contains(text.Length > 60 ? text[..60] : text, err);
        // one line on screen, and the page still there around it
        Assert.Equal(true, (bool?)await page.Browser.EvalAsync(
            "(e => e.getBoundingClientRect().height < 30 && e.offsetParent !== null)(document.getElementById('error-0'))"));
        Assert.Equal(true, (bool?)await page.Browser.EvalAsync("!!document.getElementById('file-0') && !!document.getElementById('summary')"));
    }

    /// <summary>
    /// A synthetic epoll trace of 1,000,000 lines over 1000 connections (the contract's lines, as
    /// a busy server writes them): it must load and draw in a few seconds. The time is reported,
    /// not asserted (timings belong in bench.sh); the figures are checked.
    /// </summary>
    [BrowserFact]
    public async Task A_million_line_trace_loads_and_draws()
    {
        string path = Path.Combine(Page.ArtifactsDir, "million-epoll.trace");
        Directory.CreateDirectory(Page.ArtifactsDir);
        var sw = Stopwatch.StartNew();
        int lines = SyntheticTrace.WriteEpoll(path, 1_000_000, connections: 1000);
        _out.WriteLine($"generated {lines} lines, {new FileInfo(path).Length / 1e6:F1} MB in {sw.ElapsedMilliseconds} ms");
        TraceFigures expected = TraceFigures.Of(path);

        using Chromium browser = await Chromium.StartAsync();
        Page page = await Page.OpenAsync(browser);
        sw.Restart();
        Assert.Equal("ready", await page.LoadAsync(0, path, timeoutSeconds: 120));
        long wall = sw.ElapsedMilliseconds;
        double inPage = await page.FigureAsync("load-ms", 0);
        _out.WriteLine((string?)await browser.EvalAsync("JSON.stringify(document.getElementById('panel-0').dataset)"));
        string report = $"1,000,000-line epoll trace (1000 connections, {new FileInfo(path).Length / 1e6:F1} MB): " +
                        $"loaded and drawn in {inPage:F0} ms in the page ({wall} ms from the file input to ready, as the test saw it)";
        _out.WriteLine(report);
        File.WriteAllText(Path.Combine(Page.ArtifactsDir, "million-load-time.txt"), report + "\n");
        await page.AssertFiguresAsync(0, expected);
        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);
        File.Delete(path);
    }
}
