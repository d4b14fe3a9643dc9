using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Tests.Faults;

namespace RawSelect.Tests.Unit;

/// <summary>The select trace line (the trace contract): sets past 1024, errors by errno name.</summary>
public class SelectTraceTests
{
    private sealed class Nop : IEventHandler
    {
        public void OnReady(bool readable, bool writable) { }
    }

    private static (SelectSelector Sel, ISelectApi Sys, MemoryStream Out) Traced()
    {
        var sys = Substitute.For<ISelectApi>();
        var stream = new MemoryStream();
        var sel = new SelectSelector(sys, new Log(LogLevel.Trace, stream), capacity: 20_000);
        return (sel, sys, stream);
    }

    private static string Text(MemoryStream s) => System.Text.Encoding.UTF8.GetString(s.ToArray());

    [Fact]
    public void Descriptors_past_1024_are_listed_and_nfds_covers_them()
    {
        var (sel, sys, stream) = Traced();
        sel.Add(SocketHandle.FromFd(7), Interest.Read, new Nop());
        sel.Add(SocketHandle.FromFd(12_345), Interest.ReadWrite, new Nop());
        sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>())
            .Returns(ci => Harness.Ready(ci, [12_345], []));
        sel.Wait(1500, new ReadyEvent[4]);
        Assert.Matches(@"trace: (t=\d+ )?select nfds=12346 read=\{7,12345\} write=\{12345\} timeout=1\.500ms -> 1 read=\{12345\} write=\{\} waited=\d+\.\d{3}ms\n$", Text(stream));
    }

    [Theory]
    [InlineData(Errno.EINTR, "EINTR")]
    [InlineData(Errno.EBADF, "EBADF")]
    [InlineData(Errno.ENOMEM, "ENOMEM")]
    [InlineData(200, "errno=200")]
    public void Errors_are_printed_by_name(int errno, string shown)
    {
        var (sel, sys, stream) = Traced();
        sel.Add(SocketHandle.FromFd(3), Interest.Read, new Nop());
        sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(-errno);
        sel.Wait(-1, new ReadyEvent[4]);
        string line = Text(stream);
        Assert.StartsWith("trace: ", line);
        Assert.Contains($"select nfds=4 read={{3}} write={{}} timeout=inf -> -1 {shown} waited=", line);
        Assert.EndsWith("ms\n", line);
    }
}
