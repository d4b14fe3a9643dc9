using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// SIGTERM and SIGINT: the loop wakes through its self-pipe, stops accepting, flushes within
/// --shutdown-timeout (1 s by default) and exits 0, even with clients idle, mid-echo, and one that
/// never reads (its echo can never be flushed: the bound is what ends the wait).
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class SignalTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(3);

    private readonly ITestOutputHelper _out;

    public SignalTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [InlineData(ServerProcess.SIGTERM, "select")]
    [InlineData(ServerProcess.SIGINT, "select")]
    [InlineData(ServerProcess.SIGTERM, "poll")]
    [InlineData(ServerProcess.SIGTERM, "epoll")]
    public async Task Signal_with_clients_connected_and_mid_echo_exits_0_promptly(int signal, string backend)
    {
        using var server = ServerProcess.StartDefault(Backends.Args(backend));
        var sockets = new List<Socket>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var streams = new List<Task<EchoClient.StreamResult>>();
        try
        {
            // An idle client, known to be accepted.
            Socket idle = EchoClient.Connect(server.Tcp);
            sockets.Add(idle);
            byte[] one = [0x2a];
            Assert.Equal(one, await EchoClient.EchoAsync(idle, one, halfClose: false));

            // Two clients streaming, each with at least 1 MiB already echoed when the signal comes.
            var progress = new long[2];
            for (int i = 0; i < 2; i++)
            {
                int k = i;
                Socket s = EchoClient.Connect(server.Tcp);
                sockets.Add(s);
                streams.Add(EchoClient.StreamEchoAsync(s, 1L << 40, seed: 50 + k, halfClose: false, cts.Token,
                    received: n => Volatile.Write(ref progress[k], n)));
            }
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while (Enumerable.Range(0, progress.Length).Any(k => Volatile.Read(ref progress[k]) < (1 << 20)))
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(20), "the streaming clients made no progress");
                Assert.All(streams, t => Assert.False(t.IsCompleted, $"a stream ended early: {t.Exception?.InnerException?.Message}"));
                await Task.Delay(10);
            }

            // A client that wrote and never reads: the server holds echo it can never flush.
            Socket stuck = EchoClient.Connect(server.Tcp);
            sockets.Add(stuck);
            (long sent, bool stalled) = EchoClient.FillUntilStalled(stuck, new Pattern(77),
                stall: TimeSpan.FromMilliseconds(300), maxTime: TimeSpan.FromSeconds(10), maxBytes: 256L << 20);
            Assert.True(stalled, $"the server took {sent} bytes without pushing back");

            // A UDP exchange, so that socket has seen traffic too.
            Assert.Equal(3, EchoClient.UdpEcho(server.Udp, [1, 2, 3]).Length);

            (int? code, TimeSpan elapsed) = server.StopTimed(signal, TimeSpan.FromSeconds(10));
            _out.WriteLine($"signal {signal} -> exit {code?.ToString() ?? "none"} after {elapsed.TotalMilliseconds:0} ms");
            _out.WriteLine(server.Stderr);

            Assert.True(code is not null, $"no exit within 10 s of signal {signal}; stderr: {server.Stderr}");
            Assert.Equal(0, code);
            Assert.True(elapsed < Prompt, $"exit took {elapsed.TotalMilliseconds:0} ms after signal {signal} (limit {Prompt.TotalSeconds} s)");
            AssertNoCrash(server.Stderr);

            // The idle client sees its connection end (EOF or reset), not silence.
            idle.ReceiveTimeout = 5000;
            try { Assert.Equal(0, idle.Receive(new byte[16])); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }

            // Streams end by themselves once the server is gone. None may have seen a wrong byte
            // on the way (the last echoes flushed at shutdown are checked like the rest).
            Task all = Task.WhenAll(streams);
            Assert.True(await Task.WhenAny(all, Task.Delay(5000)) == all, "the streaming clients did not see their connections end");
            foreach (Task<EchoClient.StreamResult> t in streams)
            {
                Exception? e = t.Exception?.InnerException;
                Assert.False(e is InvalidDataException, e?.Message);
            }
        }
        finally
        {
            cts.Cancel();
            foreach (Socket s in sockets) s.Dispose();
            try { await Task.WhenAll(streams); } catch (Exception) { }
        }
    }

    [Theory]
    [InlineData(ServerProcess.SIGTERM, "select")]
    [InlineData(ServerProcess.SIGINT, "select")]
    [InlineData(ServerProcess.SIGTERM, "poll")]
    [InlineData(ServerProcess.SIGTERM, "epoll")]
    public void Signal_to_an_idle_server_exits_0_at_once(int signal, string backend)
    {
        using var server = ServerProcess.StartDefault(Backends.Args(backend));
        Thread.Sleep(100);
        (int? code, TimeSpan elapsed) = server.StopTimed(signal, TimeSpan.FromSeconds(10));
        _out.WriteLine($"signal {signal} -> exit {code?.ToString() ?? "none"} after {elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(0, code);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"an idle server took {elapsed.TotalMilliseconds:0} ms to exit");
        AssertNoCrash(server.Stderr);
    }

    internal static void AssertNoCrash(string stderr)
    {
        Assert.DoesNotContain("fatal", stderr);
        Assert.DoesNotContain("Exception", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Unhandled", stderr);
    }
}
