using System.Globalization;
using System.Text.Json.Nodes;

namespace RawSelect.Tests.Loopview;

/// <summary>scripts/loopview/loopview.html in Chromium: load traces through its file inputs, read its figures from the DOM.</summary>
public sealed class Page
{
    private readonly Chromium _browser;

    public Page(Chromium browser) => _browser = browser;

    public Chromium Browser => _browser;

    public static string HtmlPath => Path.Combine(Integration.ServerProcess.RepoRoot, "scripts", "loopview", "loopview.html");

    public static string ArtifactsDir => Path.Combine(Integration.ServerProcess.RepoRoot, "artifacts", "loopview");

    public static string Fixture(string name) =>
        Path.Combine(Integration.ServerProcess.RepoRoot, "tests", "RawSelect.Tests", "Loopview", "Fixtures", name);

    public static async Task<Page> OpenAsync(Chromium browser)
    {
        await browser.OpenAsync(HtmlPath);
        return new Page(browser);
    }

    /// <summary>Loads a file through trace A's (slot 0) or B's (slot 1) file input; returns "ready" or "error".</summary>
    public async Task<string> LoadAsync(int slot, string path, int timeoutSeconds = 60)
    {
        // Mark the panel first, so an earlier load's "ready" is not mistaken for this one's.
        await _browser.EvalAsync($"(() => {{ const p = document.getElementById('panel-{slot}'); if (p) p.dataset.state = 'pending'; }})()");
        await _browser.SetFileAsync($"#file-{slot}", path);
        await _browser.WaitForAsync(
            $"(p => p && (p.dataset.state === 'ready' || p.dataset.state === 'error'))(document.getElementById('panel-{slot}'))",
            TimeSpan.FromSeconds(timeoutSeconds));
        return (string)(await _browser.EvalAsync($"document.getElementById('panel-{slot}').dataset.state"))!;
    }

    /// <summary>A summary figure as the page computed it (data-value of #ID-SLOT); NaN when blank.</summary>
    public async Task<double> FigureAsync(string id, int slot)
    {
        string? v = (string?)await _browser.EvalAsync($"(document.getElementById('{id}-{slot}') || {{dataset:{{}}}}).dataset.value ?? null");
        if (v is null) throw new InvalidOperationException($"#{id}-{slot} has no data-value");
        return v.Length == 0 ? double.NaN : double.Parse(v, CultureInfo.InvariantCulture);
    }

    public async Task<string> ErrorAsync(int slot) => await _browser.TextAsync($"#error-{slot}") ?? "";

    public async Task<int> PageErrorCountAsync() =>
        int.Parse((string)(await _browser.EvalAsync("document.body.dataset.pageErrors"))!, CultureInfo.InvariantCulture);

    /// <summary>Hovers the raster cell of (call, fd) and returns the tooltip's text.</summary>
    public async Task<string> HoverAsync(int slot, int call, int fd) => (await HoverCellAsync(slot, call, fd)).Tip;

    /// <summary>
    /// What hovering (call, fd) shows: the tooltip, and the calls (0-based, first..last) that the
    /// page says the column under the pointer stands for. With more calls than columns a column
    /// is a run of calls, and the tooltip names the run, never one call picked from it.
    /// </summary>
    public async Task<HoveredCell> HoverCellAsync(int slot, int call, int fd)
    {
        JsonNode? pt = await _browser.EvalAsync($"window.loopview.cellPoint({slot}, {call}, {fd})");
        if (pt is null) throw new InvalidOperationException($"fd {fd} is not a row of panel {slot}");
        await _browser.MouseMoveAsync(pt["x"]!.GetValue<double>(), pt["y"]!.GetValue<double>());
        string tip = await _browser.TextAsync($"#tip-{slot}") ?? "";
        return new HoveredCell(tip, pt["first"]!.GetValue<int>(), pt["last"]!.GetValue<int>(), pt["cols"]!.GetValue<int>());
    }

    /// <summary>The text a tooltip uses for calls first..last (0-based), 1-based as the page counts.</summary>
    public static string CallsText(int first, int last) =>
        first == last ? $"call {first + 1}" : $"calls {first + 1}–{last + 1}";

    /// <summary>Checks what the page computed against the test's own reading of the same file.</summary>
    public async Task AssertFiguresAsync(int slot, TraceFigures expected)
    {
        Assert.Equal(expected.Calls, (int)await FigureAsync("calls", slot));
        AssertClose(expected.MeanReady, await FigureAsync("mean-ready", slot), "mean ready");
        AssertClose(expected.MeanNfds, await FigureAsync("mean-nfds", slot), "mean nfds");
        AssertClose(expected.WaitedShare, await FigureAsync("waited-share", slot), "waited share");
        AssertClose(expected.WaitedMs, await FigureAsync("waited-ms", slot), "time waiting");
        AssertClose(expected.HandlersMs, await FigureAsync("handlers-ms", slot), "time in handlers");
        Assert.Equal(expected.Errors, (int)await FigureAsync("errors", slot));
        if (double.IsNaN(expected.Seconds)) Assert.True(double.IsNaN(await FigureAsync("calls-per-second", slot)));
        else AssertClose(expected.CallsPerSecond, await FigureAsync("calls-per-second", slot), "calls per second");
    }

    public static void AssertClose(double expected, double actual, string what)
    {
        double tolerance = 1e-9 * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: the test computes {expected}, the page {actual}");
    }
}

/// <summary>A hovered raster cell: the tooltip and the calls its column stands for (0-based).</summary>
public sealed record HoveredCell(string Tip, int First, int Last, int Cols);
