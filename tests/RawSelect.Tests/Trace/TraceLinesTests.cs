using System.Diagnostics;
using System.Text;
using NSubstitute;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Tests.Faults;

namespace RawSelect.Tests.Trace;

/// <summary>
/// The backend-independent trace lines: "fd N add|remove ROLE ADDR" from the decorator, and
/// "handlers ready=N took=X" from the loop. The decorator must not change what the backend says.
/// </summary>
public class TraceLinesTests
{
    private sealed class Described(string role, string addr) : IEventHandler, ITraceDescribed
    {
        public void OnReady(bool readable, bool writable) { }
        public string TraceRole => role;
        public void AppendTraceAddress(Log log) => log.Append(addr);
    }

    private static (Log Log, MemoryStream Out) TraceLog()
    {
        var ms = new MemoryStream();
        return (CapturedLog.For(LogLevel.Trace, ms), ms);
    }

    private static string[] Lines(Log log, MemoryStream ms)
    {
        // The log writes on a thread of its own: CapturedLog waits for it first.
        return CapturedLog.TextOf(ms).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Add_and_remove_name_the_descriptor_its_role_and_address()
    {
        (Log log, MemoryStream ms) = TraceLog();
        var sel = new TracingSelector(new SelectSelector(Substitute.For<ISelectApi>()), log);
        var conn = new Described("tcp-connection", "127.0.0.1:40312");

        Assert.True(sel.Add(Harness.Fd(7), Interest.Read, conn));
        Assert.Equal(1, sel.Count);
        sel.Modify(Harness.Fd(7), Interest.Read | Interest.Write);
        sel.Remove(Harness.Fd(7));
        sel.Remove(Harness.Fd(7)); // not registered any more: no second line

        Assert.Equal(0, sel.Count);
        string[] lines = Lines(log, ms);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("fd 7 add tcp-connection 127.0.0.1:40312", lines[0]);
        Assert.EndsWith("fd 7 remove tcp-connection 127.0.0.1:40312", lines[1]);
        Assert.All(lines, l => Assert.Contains("trace: ", l));
    }

    [Fact]
    public void A_refused_registration_is_reported_refused_and_writes_no_line()
    {
        (Log log, MemoryStream ms) = TraceLog();
        var sel = new TracingSelector(new SelectSelector(Substitute.For<ISelectApi>()), log);

        Assert.False(sel.CanRegister(Harness.Fd(FdSet.Size)));
        Assert.False(sel.Add(Harness.Fd(FdSet.Size), Interest.Read, new Described("tcp-connection", "x")));
        sel.Remove(Harness.Fd(FdSet.Size));

        Assert.Equal(0, sel.Count);
        Assert.Equal(FdSet.Size, sel.Capacity);
        Assert.Empty(Lines(log, ms));
    }

    private sealed class FixedSelector : ISelector
    {
        public long LastTimeout;
        public bool CanRegister(SocketHandle socket) => true;
        public int Capacity => 8;
        public int Count => 0;
        public bool Add(SocketHandle socket, Interest interest, IEventHandler handler) => true;
        public void Modify(SocketHandle socket, Interest interest) { }
        public void Remove(SocketHandle socket) { }
        public int Wait(long timeoutMicros, Span<ReadyEvent> fired) { LastTimeout = timeoutMicros; return -Errno.EINTR; }
        public void Dispose() { }
    }

    [Fact]
    public void Wait_passes_through_what_the_backend_returns()
    {
        (Log log, MemoryStream ms) = TraceLog();
        var inner = new FixedSelector();
        var sel = new TracingSelector(inner, log);
        Assert.Equal(-Errno.EINTR, sel.Wait(5, new ReadyEvent[4]));
        Assert.Equal(5, inner.LastTimeout);
        Assert.Equal(8, sel.Capacity);
        Assert.Empty(Lines(log, ms));
    }

    [Fact]
    public void The_loop_names_its_wake_pipe_and_reports_handler_time_after_each_wait()
    {
        (Log log, MemoryStream ms) = TraceLog();
        var api = Substitute.For<ISocketApi>();
        api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>())
            .Returns(ci => { ci[0] = Harness.Fd(3); ci[1] = Harness.Fd(4); return 0; });
        var sys = Substitute.For<ISelectApi>();
        int call = 0;
        sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(ci =>
        {
            if (call++ == 0) return -Errno.EINTR;
            LargeFdSet r = ci.ArgAt<LargeFdSet>(1);
            r.Zero(); r.Set(3);
            ci.ArgAt<LargeFdSet>(2).Zero();
            return 1;
        });
        var sel = new TracingSelector(new SelectSelector(sys), log);
        var loop = new EventLoop(api, sel, new Counters(), log);

        loop.RunOnce(); // EINTR: no dispatch, so no handlers line
        loop.RunOnce(); // the wake pipe is ready
        loop.Dispose();

        string[] lines = Lines(log, ms).Where(l => !l.Contains("trace: select ")).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.EndsWith("fd 3 add wake-pipe -", lines[0]);
        Assert.Matches(@"trace: (t=\d+ )?handlers ready=1 took=\d+\.\d{3}ms$", lines[1]);
        Assert.EndsWith("fd 3 remove wake-pipe -", lines[2]);
    }

    [Fact]
    public void A_quiet_loop_writes_no_handlers_line()
    {
        var ms = new MemoryStream();
        var log = CapturedLog.For(LogLevel.Debug, ms);
        var api = Substitute.For<ISocketApi>();
        api.OpenWakePair(out Arg.Any<SocketHandle>(), out Arg.Any<SocketHandle>())
            .Returns(ci => { ci[0] = Harness.Fd(3); ci[1] = Harness.Fd(4); return 0; });
        var sys = Substitute.For<ISelectApi>();
        sys.Select(Arg.Any<int>(), Arg.Any<LargeFdSet>(), Arg.Any<LargeFdSet>(), Arg.Any<long>()).Returns(0);
        var loop = new EventLoop(api, new SelectSelector(sys), new Counters(), log);
        loop.RunOnce();
        Assert.Empty(Lines(log, ms));
    }
}
