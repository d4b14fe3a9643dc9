using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// TCP urgent data (MSG_OOB), select's third set. Echo means everything received goes back, so
/// the server sets SO_OOBINLINE on its TCP sockets: an urgent byte stays in the stream, in order,
/// and a plain recv reads it. Without it the byte is set aside for recv(MSG_OOB) and lost to the
/// echo. The server sets the option on the listener only; these tests prove that every accepted
/// socket inherits it (Linux copies the listener's socket flags on accept), and that the urgent
/// mark does not make the loop spin.
/// </summary>
[Collection(RobustnessCollection.Name)]
public sealed class UrgentDataTests
{
    private readonly ITestOutputHelper _out;

    public UrgentDataTests(ITestOutputHelper output) => _out = output;

    private static byte[] ReadExactly(Socket s, int count)
    {
        var got = new byte[count];
        int have = 0;
        while (have < count)
        {
            int n = s.Receive(got, have, count - have, SocketFlags.None);
            Assert.True(n > 0, $"EOF after {have} of {count} bytes: {System.Text.Encoding.ASCII.GetString(got, 0, have)}");
            have += n;
        }
        return got;
    }

    [Fact]
    public void An_urgent_byte_between_two_writes_comes_back_between_them()
    {
        using var server = ServerProcess.StartDefault("--log-level", "info");
        using Socket c = Robust.Connect(server.Tcp);
        for (int round = 0; round < 3; round++)
        {
            c.Send("AB"u8);
            Thread.Sleep(20); // separate segments, so the urgent one is a segment of its own
            c.Send("!"u8, SocketFlags.OutOfBand);
            Thread.Sleep(20);
            c.Send("CD"u8);
            Assert.Equal("AB!CD", System.Text.Encoding.ASCII.GetString(ReadExactly(c, 5)));
        }
        // Several connections: each accepted socket has the option, not just the first.
        for (int i = 0; i < 5; i++)
        {
            using Socket d = Robust.ConnectFrom(server.Tcp, i);
            d.Send("x"u8);
            d.Send("U"u8, SocketFlags.OutOfBand);
            d.Send("y"u8);
            Assert.Equal("xUy", System.Text.Encoding.ASCII.GetString(ReadExactly(d, 3)));
        }
        Dictionary<string, long> counters = Robust.Counters(server);
        Assert.Equal(3 * 5 + 5 * 3, counters["tcp_bytes_in"]);
        Assert.Equal(counters["tcp_bytes_in"], counters["tcp_bytes_out"]);
    }

    [Fact]
    public void Urgent_data_does_not_make_the_loop_spin()
    {
        using var server = ServerProcess.StartDefault("--log-level", "info");
        using Socket c = Robust.Connect(server.Tcp);
        // The urgent byte is the last thing sent: the urgent mark is the newest data on the
        // socket, the state in which a loop watching exceptions (or POLLPRI) would be woken again
        // and again.
        c.Send("a"u8);
        c.Send("U"u8, SocketFlags.OutOfBand);
        Assert.Equal("aU", System.Text.Encoding.ASCII.GetString(ReadExactly(c, 2)));
        using Socket idle = Robust.Connect(server.Tcp);
        idle.Send("V"u8, SocketFlags.OutOfBand); // and one whose only byte is urgent
        Assert.Equal("V", System.Text.Encoding.ASCII.GetString(ReadExactly(idle, 1)));

        long calls0 = Robust.Counters(server)["select_calls"];
        long ticks0 = server.CpuTicks();
        Thread.Sleep(1000);
        long ticks = server.CpuTicks() - ticks0;
        long calls = Robust.Counters(server)["select_calls"] - calls0;
        _out.WriteLine($"one second after urgent data: {calls} select calls, {ticks} ticks of server CPU");
        Assert.True(calls <= 5, $"{calls} select calls in a second with nothing to do (spinning on the urgent mark?)");
        Assert.True(ticks <= 5, $"the server used {ticks * 10} ms of CPU in a second with nothing to do");
    }
}
