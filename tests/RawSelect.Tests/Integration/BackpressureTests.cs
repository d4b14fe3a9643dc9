using System.Diagnostics;
using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// A client that writes and never reads: the server's per-connection buffer fills, the socket
/// leaves the read set, and TCP flow control stops the client. Memory stays bounded, the loop
/// does not spin, other clients are served, and once the client reads, every byte comes back.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class BackpressureTests
{
    private const long RssSlackKiB = 4 * 1024;

    private readonly ITestOutputHelper _out;

    public BackpressureTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [MemberData(nameof(Backends.Each), MemberType = typeof(Backends))]
    public async Task Writer_that_never_reads_is_pushed_back_with_bounded_memory_and_gets_every_byte_once_it_reads(string backend)
    {
        using var server = ServerProcess.StartDefault(["--log-level", "error", .. Backends.Args(backend)]);
        Thread.Sleep(200); // let it settle into its first select
        long idleRss = server.RssKiB();
        _out.WriteLine($"idle RSS: {idleRss} KiB");

        using Socket s = EchoClient.Connect(server.Tcp);
        const int Seed = 99;
        var pattern = new Pattern(Seed);
        long maxRss = idleRss;
        long stallCpu = 0, stallStart = 0;

        (long sent, bool stalled) = EchoClient.FillUntilStalled(s, pattern,
            stall: TimeSpan.FromSeconds(1), maxTime: TimeSpan.FromSeconds(15), maxBytes: 128L << 20,
            sample: () => maxRss = Math.Max(maxRss, server.RssKiB()),
            stallStarted: () => { stallCpu = server.CpuTicks(); stallStart = Stopwatch.GetTimestamp(); });
        long cpuTicks = server.CpuTicks() - stallCpu;
        TimeSpan stallWindow = Stopwatch.GetElapsedTime(stallStart);
        maxRss = Math.Max(maxRss, server.RssKiB());
        _out.WriteLine($"the kernel stopped taking data after {sent} bytes; peak RSS {maxRss} KiB (+{maxRss - idleRss} KiB); " +
                       $"server CPU over the last {stallWindow.TotalMilliseconds:0} ms stalled: {cpuTicks * 10} ms");

        Assert.True(stalled, $"the server took {sent} bytes from a client that never reads: no backpressure " +
                             $"(its RSS grew by {maxRss - idleRss} KiB meanwhile)");
        Assert.True(maxRss - idleRss <= RssSlackKiB,
            $"server RSS grew by {maxRss - idleRss} KiB (idle {idleRss} KiB, peak {maxRss} KiB) while a client would not read");
        // Stalled, the server has nothing to do: a socket left in the read set while its buffer is
        // full (or in the write set while the peer's window is shut) would spin the loop.
        long windowTicks = (long)(stallWindow.TotalMilliseconds / 10);
        Assert.True(cpuTicks <= windowTicks / 4 + 2,
            $"the server used {cpuTicks * 10} ms of CPU in {stallWindow.TotalMilliseconds:0} ms while blocked by flow control");

        // Meanwhile another client is served normally.
        using (Socket other = EchoClient.Connect(server.Tcp))
        {
            byte[] msg = EchoClient.Random(64 * 1024, seed: 5);
            byte[] got = await EchoClient.EchoAsync(other, msg, halfClose: true);
            Assert.Equal(EchoClient.Digest(msg), EchoClient.Digest(got));
        }

        // Now the client reads: every byte it wrote comes back, in order.
        using var verify = new StreamVerifier(Seed);
        EchoClient.ReceiveVerified(s, verify, sent);
        Assert.Equal(sent, verify.Count);

        // And the connection echoes normally again (reading resumed after the buffer drained).
        var more = new byte[100_000];
        pattern.Fill(more);
        Task send = Task.Run(() => s.Send(more));
        EchoClient.ReceiveVerified(s, verify, more.Length);
        await send;

        Assert.False(server.HasExited, $"server exited; stderr: {server.Stderr}");
        Assert.Equal("", server.Stderr);
    }
}
