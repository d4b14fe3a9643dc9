using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// SIGTERM while a client is still sending and the server, pushing back, has stopped reading it:
/// the echo the server sends is all delivered and the connection ends with a FIN, not a reset.
/// Without a lingering close the server's close(2) meets unread input, the kernel answers with a
/// reset and throws away the echo still in its send queue (megabytes the server counted as sent).
/// The client's count of echoed bytes must equal the server's tcp_bytes_out at exit.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed partial class ShutdownFlushTests
{
    private readonly ITestOutputHelper _out;

    public ShutdownFlushTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [InlineData("select")]
    [InlineData("epoll")]
    public void A_stop_while_the_client_still_sends_delivers_every_byte_the_server_sent_then_a_FIN(string backend)
    {
        using var server = ServerProcess.StartDefault([.. Backends.Args(backend), "--shutdown-timeout", "5"]);
        using Socket s = EchoClient.Connect(server.Tcp);
        s.SendTimeout = 20_000;
        s.ReceiveTimeout = 20_000;
        var sendPattern = new Pattern(91);
        using var verify = new StreamVerifier(91);
        var stop = new ManualResetEventSlim();
        long sent = 0;
        Exception? sendError = null;

        // The sender never stops on its own: blocking sends of the pattern, as fast as the
        // server's reading lets it.
        var sender = new Thread(() =>
        {
            var chunk = new byte[65536];
            try
            {
                while (!stop.IsSet)
                {
                    sendPattern.Fill(chunk);
                    int off = 0;
                    while (off < chunk.Length && !stop.IsSet) off += s.Send(chunk, off, chunk.Length - off, SocketFlags.None);
                    Interlocked.Add(ref sent, off);
                }
            }
            catch (Exception e) { sendError = e; }
        }) { IsBackground = true };
        sender.Start();

        // A slow reader for a while: the server's buffer fills and it stops reading this client,
        // so its receive queue holds unread bytes when the signal comes.
        var buf = new byte[65536];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMilliseconds(600))
        {
            int n = s.Receive(buf, 0, 4096, SocketFlags.None);
            Assert.True(n > 0, "EOF before the signal");
            verify.Check(buf.AsSpan(0, n));
            Thread.Sleep(2);
        }
        Assert.True(Interlocked.Read(ref sent) > verify.Count + (1 << 20), $"sent {sent}, echoed {verify.Count}: the server is not pushing back");

        server.Signal(ServerProcess.SIGTERM);
        string end;
        try
        {
            while (true)
            {
                int n = s.Receive(buf, 0, buf.Length, SocketFlags.None);
                if (n == 0) { end = "eof"; break; }
                verify.Check(buf.AsSpan(0, n));
            }
        }
        catch (SocketException e) { end = e.SocketErrorCode.ToString(); }
        // Our EOF came: stop sending and close our side, which ends the server's wait.
        stop.Set();
        s.Shutdown(SocketShutdown.Send);
        Assert.True(sender.Join(TimeSpan.FromSeconds(10)), "the sender did not stop");

        // The one SIGTERM above ends it: wait for the exit (no second signal to a PID that may be gone).
        int? code = null;
        if (server.Process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            server.Process.WaitForExit(); // flush the async stderr reader
            code = server.Process.ExitCode;
        }
        string stderr = server.StderrWhenItHas(" exit ");
        Match m = BytesOut().Match(stderr);
        Assert.True(m.Success, "no exit counters line: " + stderr);
        long serverSent = long.Parse(m.Groups[1].Value);
        _out.WriteLine($"{backend}: client sent {Interlocked.Read(ref sent)}, received {verify.Count} ending in {end}; server tcp_bytes_out={serverSent}, exit {code}; sender: {sendError?.Message ?? "stopped"}");

        Assert.Equal(0, code);
        Assert.Equal("eof", end);
        Assert.Equal(serverSent, verify.Count);
        Assert.Matches(@"tcp_closed_shutdown=1\b", stderr);
    }

    [GeneratedRegex(@" exit .*tcp_bytes_out=(\d+)")]
    private static partial Regex BytesOut();
}
