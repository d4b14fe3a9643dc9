using System.Net.Sockets;
using Xunit;

namespace RawSelect.Tests.Integration;

/// <summary>
/// --fd-setsize on the binary: bad values exit 2 with one line naming the value, before any
/// socket is bound; "above the descriptor limit" is judged against the limit once raised; a good
/// value is the capacity the server reports.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class FdSetSizeOptionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1e3")]
    [InlineData("99999999999999999999")]
    [InlineData("2000000000")]
    public void Bad_values_exit_2_with_one_line(string value)
    {
        (int code, string stdout, string stderr) = ServerProcess.RunToExit(Limit, "--tcp", "127.0.0.1:0", "--fd-setsize", value);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"rawselect: invalid value '{value}' for --fd-setsize: expected a whole number from 1 to the descriptor limit\n", stderr);
    }

    [Fact]
    public void A_value_above_the_raised_descriptor_limit_exits_2_naming_it_and_binds_nothing()
    {
        // ulimit -S -n 1024, -H -n 2048: the server raises its limit to 2048 first, so 2048 is
        // fine and 2049 is not; 1500 would have been "above the limit" before raising.
        using (var ok = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--fd-setsize", "2048"], "ulimit -S -n 1024 && ulimit -H -n 2048"))
        {
            Thread.Sleep(100);
            Assert.Contains("fd-setsize=2048 descriptor-limit=2048 descriptor-limit-was=1024 descriptor-hard-limit=2048", ok.Stderr);
            Assert.Equal(0, ok.StopWith(ServerProcess.SIGTERM, Limit));
        }
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("ulimit -S -n 1024 && ulimit -H -n 2048 && exec \"$0\" --tcp 127.0.0.1:0 --fd-setsize 2049");
        psi.ArgumentList.Add(ServerProcess.BinaryPath);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(5000));
        Assert.Equal(2, p.ExitCode);
        Assert.Equal("", stdout); // nothing was bound: no "listening" line
        Assert.Equal("rawselect: invalid value '2049' for --fd-setsize: above the descriptor limit (2048; hard limit 2048)\n", stderr);
    }

    [Fact]
    public void Default_is_the_descriptor_limit_raised_to_the_hard_limit()
    {
        using var server = ServerProcess.Start(["--tcp", "127.0.0.1:0", "--no-udp", "--log-level", "info"], "ulimit -S -n 512 && ulimit -H -n 3000");
        Assert.Contains("fd-setsize=3000 descriptor-limit=3000 descriptor-limit-was=512 descriptor-hard-limit=3000", server.StderrWhenItHas("serving: "));
        using Socket c = new(SocketType.Stream, ProtocolType.Tcp);
        c.Connect(server.Tcp);
        c.Send("hi"u8);
        var b = new byte[2];
        Assert.Equal(2, c.Receive(b));
        Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, Limit));
    }
}
