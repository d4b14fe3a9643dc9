using System.Diagnostics;
using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// The counters line the other robustness tests rely on, as a contract: with --log-level info,
/// SIGUSR1 and exit each print exactly one "key=value" line to stderr holding every counter the
/// issue names, with values that match what the clients did; with quiet, nothing. And when the
/// descriptors run out while binding, the server still says so in one line.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class CountersTests
{
    private static readonly string[] Keys =
    [
        "tcp_accepted", "tcp_refused_max_clients", "tcp_refused_fd_limit", "tcp_closed_eof", "tcp_closed_reset",
        "tcp_closed_idle", "tcp_closed_error", "tcp_bytes_in", "tcp_bytes_out", "udp_datagrams_in", "udp_datagrams_out",
        "udp_dropped_service_port", "udp_dropped_broadcast", "select_calls", "gc_collections",
    ];

    [Fact]
    public void Sigusr1_and_exit_each_print_one_key_value_line_with_every_counter()
    {
        using var server = ServerProcess.StartDefault("--log-level", "info");
        using (Socket s = Robust.Connect(server.Tcp))
        {
            Robust.AssertEchoes(s, new byte[1000], "client");
            s.Shutdown(SocketShutdown.Send);
            Robust.AssertClosedByServer(s, 2000, "client after its FIN");
        }
        Assert.Equal(new byte[10], EchoClient.UdpEcho(server.Udp, new byte[10]));

        Dictionary<string, long> c = Robust.WaitForCounters(server, c => c["tcp_closed_eof"] == 1, "the close counted");
        string line = server.Stderr.Split('\n').Last(l => l.StartsWith("info: counters "));
        foreach (string token in line["info: counters ".Length..].Split(' '))
            Assert.Matches(@"^[a-z0-9_]+=-?\d+$", token);
        foreach (string key in Keys) Assert.True(c.ContainsKey(key), $"no {key} in: {line}");
        Assert.Equal(1, c["tcp_accepted"]);
        Assert.Equal(1000, c["tcp_bytes_in"]);
        Assert.Equal(1000, c["tcp_bytes_out"]);
        Assert.Equal(1, c["udp_datagrams_in"]);
        Assert.Equal(1, c["udp_datagrams_out"]);

        int before = server.Stderr.Split('\n').Count(l => l.StartsWith("info: counters "));
        server.Signal(ServerProcess.SIGUSR1);
        Thread.Sleep(300);
        Assert.Equal(before + 1, server.Stderr.Split('\n').Count(l => l.StartsWith("info: counters "))); // one line per signal

        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        Dictionary<string, long> exit = Robust.ExitCounters(server);
        foreach (string key in Keys) Assert.True(exit.ContainsKey(key), $"no {key} in the exit line");
        Assert.Equal(1000, exit["tcp_bytes_out"]);
    }

    [Fact]
    public void Quiet_prints_no_counters_on_sigusr1_or_at_exit()
    {
        using var server = ServerProcess.StartDefault("--log-level", "quiet");
        server.Signal(ServerProcess.SIGUSR1);
        Thread.Sleep(300);
        Assert.False(server.HasExited, "SIGUSR1 ended the server");
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5)));
        Assert.Equal("", server.Stderr); // README: "quiet prints nothing there"
    }

    /// <summary>
    /// More listeners than the descriptor limit allows: socket(2) fails with EMFILE while binding.
    /// The server must exit 1 with one line naming the error, even though it has no descriptor
    /// left to spare when it writes it.
    /// </summary>
    [Fact]
    public void Out_of_descriptors_while_binding_exits_1_with_one_line_naming_the_error()
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("ulimit -n 40 && exec \"$0\" \"$@\"");
        psi.ArgumentList.Add(ServerProcess.BinaryPath);
        for (int i = 0; i < 40; i++) { psi.ArgumentList.Add("--tcp"); psi.ArgumentList.Add("127.0.0.1:0"); }
        psi.ArgumentList.Add("--no-udp");
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(10_000))
        {
            p.Kill();
            Assert.Fail("the server did not exit");
        }
        string err = stderr.Result;
        Assert.True(p.ExitCode == 1, $"exit {p.ExitCode}, expected 1; stderr: {err}");
        Assert.Equal("", stdout.Result);
        Assert.True(err.EndsWith('\n') && err.IndexOf('\n') == err.Length - 1, $"expected one line on stderr, got: '{err}'");
        Assert.Contains("Too many open files", err);
        SignalTests.AssertNoCrash(err);
    }
    /// <summary>
    /// A descriptor limit too small to start at all (stdio, the runtime's signal pipe and the
    /// wake-up pipe take most of it): whatever fails first, the server exits 1 with one line that
    /// names the limit and what to do, never a fatal line naming a type initializer.
    /// </summary>
    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public void A_descriptor_limit_too_small_to_start_exits_1_with_one_line(int limit)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"ulimit -n {limit} && exec \"$0\" \"$@\"");
        psi.ArgumentList.Add(ServerProcess.BinaryPath);
        psi.ArgumentList.Add("--tcp"); psi.ArgumentList.Add("127.0.0.1:0");
        psi.ArgumentList.Add("--udp"); psi.ArgumentList.Add("127.0.0.1:0");
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(10_000))
        {
            // a limit that turns out big enough serves: that is fine, stop it
            p.Kill();
            p.WaitForExit();
            Assert.Contains("listening tcp", stdout.Result);
            return;
        }
        string err = stderr.Result;
        Assert.True(p.ExitCode == 1, $"ulimit -n {limit}: exit {p.ExitCode}, expected 1; stderr: {err}");
        Assert.True(err.EndsWith('\n') && err.IndexOf('\n') == err.Length - 1, $"expected one line on stderr, got: '{err}'");
        Assert.True(err.Contains("descriptor limit") || err.Contains("Too many open files"), err);
        Assert.DoesNotContain("TypeInitialization", err);
        Assert.DoesNotContain("fatal", err);
        SignalTests.AssertNoCrash(err);
    }
}
