using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>What the server says on stderr: nothing at all when quiet, every select call when tracing.</summary>
[Collection(IntegrationCollection.Name)]
public sealed partial class LoggingTests
{
    private readonly ITestOutputHelper _out;

    public LoggingTests(ITestOutputHelper output) => _out = output;

    /// <summary>A normal run: TCP echoes (one half-closed, one closed by the client), a UDP echo, then SIGTERM.</summary>
    private static async Task NormalRun(ServerProcess server)
    {
        using (Socket a = EchoClient.Connect(server.Tcp))
        {
            byte[] d = EchoClient.Random(100_000, seed: 1);
            Assert.Equal(EchoClient.Digest(d), EchoClient.Digest(await EchoClient.EchoAsync(a, d, halfClose: true)));
        }
        using (Socket b = EchoClient.Connect(server.Tcp))
        {
            byte[] d = EchoClient.Random(10, seed: 2);
            Assert.Equal(d, await EchoClient.EchoAsync(b, d, halfClose: false));
        }
        byte[] u = EchoClient.Random(100, seed: 3);
        Assert.Equal(u, EchoClient.UdpEcho(server.Udp, u));
        Thread.Sleep(100); // let the server see the last close before the signal
    }

    [Fact]
    public async Task Quiet_prints_nothing_at_all_on_stderr_in_a_normal_run()
    {
        using var server = ServerProcess.StartDefault("--log-level", "quiet");
        await NormalRun(server);
        int? code = server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5));

        Assert.Equal(0, code);
        Assert.Equal("", server.Stderr);
        // stdout still carries the listening lines, and only those.
        Assert.All(server.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("listening ", l));
    }

    [GeneratedRegex(@"^trace: t=\d+ select nfds=(?<nfds>\d+) read=\{(?<r>[\d,]*)\} write=\{(?<w>[\d,]*)\} timeout=(?:inf|\d+\.\d+ms) -> (?<n>-?\d+)(?: read=\{(?<rr>[\d,]*)\} write=\{(?<wr>[\d,]*)\})?(?: [A-Z][A-Z0-9]+| errno=\d+)? waited=\d+\.\d+ms$")]
    private static partial Regex SelectLine();

    [GeneratedRegex(@"fd-setsize=(\d+)")]
    private static partial Regex FdSetSizeKey();

    private static HashSet<int> Fds(Group g) =>
        g.Success && g.Value.Length > 0 ? g.Value.Split(',').Select(int.Parse).ToHashSet() : new HashSet<int>();

    [Fact]
    public async Task Trace_prints_every_select_call_with_consistent_nfds_and_sets()
    {
        using var server = ServerProcess.StartDefault("--trace");
        Thread.Sleep(100);
        await NormalRun(server);
        int? code = server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5));
        Assert.Equal(0, code);

        string[] lines = server.Stderr.Split('\n').Where(l => l.Contains("select ")).ToArray();
        Match cap = FdSetSizeKey().Match(server.Stderr);
        Assert.True(cap.Success, $"no fd-setsize= in the serving line:\n{server.Stderr}");
        int fdSetSize = int.Parse(cap.Groups[1].Value);
        _out.WriteLine($"{lines.Length} select lines; first and last:\n{lines.FirstOrDefault()}\n{lines.LastOrDefault()}");
        Assert.True(lines.Length >= 5, $"expected a trace line per select call, got {lines.Length}:\n{server.Stderr}");

        var parsed = new List<(int Nfds, HashSet<int> R, HashSet<int> W)>();
        foreach (string line in lines)
        {
            Match m = SelectLine().Match(line);
            Assert.True(m.Success, $"not a select trace line: {line}");
            int nfds = int.Parse(m.Groups["nfds"].Value);
            HashSet<int> r = Fds(m.Groups["r"]), w = Fds(m.Groups["w"]);
            int n = int.Parse(m.Groups["n"].Value);
            // nfds must exceed every descriptor given, or select ignores it. (It may exceed the
            // highest by more while a registered descriptor has no interest, e.g. a paused listener.)
            int highest = r.Concat(w).DefaultIfEmpty(-1).Max();
            Assert.True(nfds > highest, $"nfds={nfds} does not cover descriptor {highest}: {line}");
            Assert.True(nfds <= fdSetSize, $"nfds={nfds} is beyond the selector's capacity {fdSetSize}: {line}");
            if (n > 0)
            {
                HashSet<int> rr = Fds(m.Groups["rr"]), wr = Fds(m.Groups["wr"]);
                Assert.True(rr.IsSubsetOf(r) && wr.IsSubsetOf(w), $"select returned descriptors it was not given: {line}");
                Assert.True(rr.Count + wr.Count == n, $"select returned {n} but the sets hold {rr.Count + wr.Count}: {line}");
            }
            parsed.Add((nfds, r, w));
        }

        // The loop watched the connections (more descriptors than at the start at some point),
        // and once they closed it went back to the descriptors it started with: nfds is
        // recomputed when the highest descriptor closes, not left to grow.
        (int nfds0, HashSet<int> r0, _) = parsed[0];
        Assert.Contains(parsed, p => p.R.Count > r0.Count);
        Assert.Equal(nfds0, parsed[^1].Nfds);
        Assert.True(r0.SetEquals(parsed[^1].R), $"first select read={{{string.Join(',', r0)}}}, last read={{{string.Join(',', parsed[^1].R)}}}");
    }
}
