using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace RawSelect.Tests.Loopview;

/// <summary>
/// Hovering the raster at any trace length: with fewer calls than columns a column is one call;
/// with more, a column is a run of calls, and the tooltip names that run and shows what the column
/// paints for it. The test asks the page which calls a column stands for, checks that the hovered
/// call is among them, that neighbouring columns tile the calls with no gap or overlap, and that
/// the tooltip's state is what the test computes from the same file over the same calls.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class LoopviewHoverTests
{
    private const int Connections = 20;
    private readonly ITestOutputHelper _out;

    public LoopviewHoverTests(ITestOutputHelper output) => _out = output;

    [BrowserFact]
    public async Task The_tooltip_names_the_calls_its_column_stands_for_at_any_trace_length()
    {
        Directory.CreateDirectory(Page.ArtifactsDir);
        using Chromium browser = await Chromium.StartAsync();
        Page page = await Page.OpenAsync(browser);
        // fewer calls than columns, about as many, a few times more, and far more
        foreach (int calls in new[] { 37, 1400, 4099, 25_013 })
        {
            string path = Path.Combine(Page.ArtifactsDir, $"hover-{calls}.trace");
            SyntheticTrace.WriteSelect(path, 2 + Connections + 2 * calls, Connections, seed: calls);
            List<HashSet<int>> readyByCall = ReadyReadSets(path);
            Assert.Equal(calls, readyByCall.Count);
            Assert.Equal("ready", await page.LoadAsync(0, path));
            Assert.Equal(calls, (int)await page.FigureAsync("calls", 0));

            var rnd = new Random(calls);
            var probes = new SortedSet<int> { 0, 1, calls / 2, calls - 2, calls - 1 };
            while (probes.Count < 12) probes.Add(rnd.Next(calls));
            int cols = 0;
            foreach (int call in probes)
            {
                int fd = 5 + rnd.Next(Connections);
                HoveredCell cell = await page.HoverCellAsync(0, call, fd);
                cols = cell.Cols;
                Assert.InRange(call, cell.First, cell.Last);
                bool ready = Enumerable.Range(cell.First, cell.Last - cell.First + 1).Any(k => readyByCall[k].Contains(fd));
                string expected = $"fd {fd} tcp-connection 127.0.0.1:{40000 + fd - 5} · {Page.CallsText(cell.First, cell.Last)}: watched read"
                    + (ready ? ", READY read" : "");
                Assert.Equal(expected, cell.Tip);
                if (cell.Last + 1 < calls)
                {
                    // the next column starts where this one ends: the columns tile the calls
                    HoveredCell next = await page.HoverCellAsync(0, cell.Last + 1, fd);
                    Assert.Equal(cell.Last + 1, next.First);
                }
                if (calls <= cell.Cols) Assert.Equal(cell.First, cell.Last);
            }
            _out.WriteLine($"{calls} calls over {cols} columns: {probes.Count} hovers agree");
            File.Delete(path);
        }
        Assert.Equal(0, await page.PageErrorCountAsync());
        Assert.Empty(browser.PageErrors);
    }

    /// <summary>The read set each select call returned (what SyntheticTrace wrote after "->").</summary>
    private static List<HashSet<int>> ReadyReadSets(string path)
    {
        var sets = new List<HashSet<int>>();
        foreach (string line in File.ReadLines(path))
        {
            Match m = ReturnedRead().Match(line);
            if (!line.Contains(" select nfds=")) continue;
            Assert.True(m.Success, line);
            sets.Add(m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet());
        }
        return sets;
    }

    [GeneratedRegex(@"-> \d+ read=\{([0-9,]*)\}")]
    private static partial Regex ReturnedRead();
}
