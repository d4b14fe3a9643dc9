using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;

namespace RawSelect.Tests.Trace;

/// <summary>The real binary's trace names every descriptor it registers, and times every dispatch.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class TraceLinesBinaryTests
{
    private static string Body(string line)
    {
        int i = line.IndexOf("trace: ", StringComparison.Ordinal);
        string body = line[(i + 7)..];
        return Regex.Replace(body, @"^t=\d+ ", "");
    }

    [Fact]
    public async Task Every_descriptor_is_named_when_it_comes_and_goes_and_every_wait_is_followed_by_its_handler_time()
    {
        using var server = ServerProcess.StartDefault("--trace");
        IPEndPoint local;
        using (Socket c = EchoClient.Connect(server.Tcp))
        {
            local = (IPEndPoint)c.LocalEndPoint!;
            byte[] d = EchoClient.Random(10, seed: 4);
            Assert.Equal(d, await EchoClient.EchoAsync(c, d, halfClose: true));
        }
        Thread.Sleep(200);
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        string[] bodies = server.Stderr.Split('\n').Where(l => l.Contains("trace: ")).Select(Body).ToArray();

        string peer = $"127.0.0.1:{local.Port}";
        Match add = bodies.Select(b => Regex.Match(b, $@"^fd (\d+) add tcp-connection {Regex.Escape(peer)}$")).Single(m => m.Success);
        string fd = add.Groups[1].Value;
        Assert.Single(bodies, $"fd {fd} remove tcp-connection {peer}");
        Assert.True(Array.IndexOf(bodies, add.Value) < Array.IndexOf(bodies, $"fd {fd} remove tcp-connection {peer}"));
        Assert.Single(bodies, b => Regex.IsMatch(b, $@"^fd \d+ add tcp-listener 127\.0\.0\.1:{server.Tcp.Port}$"));
        Assert.Single(bodies, b => Regex.IsMatch(b, $@"^fd \d+ remove tcp-listener 127\.0\.0\.1:{server.Tcp.Port}$"));
        Assert.Contains(bodies, b => Regex.IsMatch(b, $@"^fd \d+ add udp-socket 127\.0\.0\.1:{server.Udp.Port}$"));
        Assert.Contains(bodies, b => Regex.IsMatch(b, $@"^fd \d+ remove udp-socket 127\.0\.0\.1:{server.Udp.Port}$"));
        Assert.Equal(bodies.Count(b => Regex.IsMatch(b, @"^fd \d+ add wake-pipe -$")), bodies.Count(b => Regex.IsMatch(b, @"^fd \d+ remove wake-pipe -$")));
        Assert.Single(bodies, b => Regex.IsMatch(b, @"^fd \d+ add wake-pipe -$"));

        // After every wait that returned n >= 0: "handlers ready=n took=X.XXXms", before the next wait.
        int waits = 0;
        for (int i = 0; i < bodies.Length; i++)
        {
            Match w = Regex.Match(bodies[i], @"^select \S+ .* -> (-?\d+)");
            if (!w.Success) continue;
            waits++;
            int n = int.Parse(w.Groups[1].Value);
            int next = Array.FindIndex(bodies, i + 1, b => b.StartsWith("select ") || b.StartsWith("handlers "));
            if (n < 0) { Assert.True(next < 0 || bodies[next].StartsWith("select "), $"a handlers line after a failed wait: {bodies[i]}"); continue; }
            Assert.True(next >= 0 && Regex.IsMatch(bodies[next], @"^handlers ready=\d+ took=\d+\.\d{3}ms$"), $"no handlers line after: {bodies[i]}");
        }
        Assert.True(waits >= 3);
    }
}
