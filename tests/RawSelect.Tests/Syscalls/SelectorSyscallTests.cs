using System.Net;
using System.Net.Sockets;
using RawSelect.Interop;
using RawSelect.Interop.Unix;
using RawSelect.Tests.Robustness;

namespace RawSelect.Tests.Syscalls;

/// <summary>
/// Each selector backend on the real system calls (select(2), poll(2), epoll), on real pipes and
/// loopback TCP sockets: that the kernel's readiness reaches the handlers as select reports it,
/// level-triggered, with errors, hangups and resets delivered so the handler meets them itself.
/// </summary>
public sealed unsafe class SelectorSyscallTests : IDisposable
{
    private readonly List<int> _fds = new();
    private readonly List<IDisposable> _disposables = new();

    public static IEnumerable<object[]> Backends() => [["select"], ["poll"], ["epoll"]];

    private ISelector Selector(string backend, int epollMaxEvents = EpollSelector.DefaultMaxEvents)
    {
        ISelector s = backend switch
        {
            "select" => new SelectSelector(UnixSocketApi.Instance),
            "poll" => new PollSelector(UnixPollApi.Instance, 1 << 20),
            "epoll" => new EpollSelector(new UnixEpollApi(), 1 << 20, maxEvents: epollMaxEvents),
            _ => throw new ArgumentException(backend),
        };
        _disposables.Add(s);
        return s;
    }

    private (int Read, int Write) Pipe()
    {
        int* p = stackalloc int[2];
        Assert.Equal(0, Libc.pipe2(p, Libc.O_NONBLOCK | Libc.O_CLOEXEC));
        _fds.Add(p[0]);
        _fds.Add(p[1]);
        return (p[0], p[1]);
    }

    private void Close(int fd)
    {
        Assert.Equal(0, Libc.close(fd));
        _fds.Remove(fd);
    }

    private static void WriteByte(int fd)
    {
        byte b = 42;
        Assert.Equal(1, (int)Libc.write(fd, &b, 1));
    }

    private static int ReadBytes(int fd)
    {
        byte* buf = stackalloc byte[64];
        return (int)Libc.read(fd, buf, 64);
    }

    /// <summary>A connected loopback TCP pair: the server side as a descriptor, the client as a Socket.</summary>
    private (Socket Server, Socket Client) TcpPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        _disposables.Add(client);
        _disposables.Add(server);
        return (server, client);
    }

    private static SocketHandle H(int fd) => SocketHandle.FromFd(fd);

    private static SocketHandle H(Socket s) => SocketHandle.FromFd((int)s.Handle);

    private sealed class Handler : IEventHandler
    {
        public void OnReady(bool readable, bool writable) { }
    }

    /// <summary>One wait of at most timeoutMicros: (handler, readable, writable) per event.</summary>
    private static List<(IEventHandler H, bool R, bool W)> Wait(ISelector s, long timeoutMicros = 0)
    {
        var fired = new ReadyEvent[Math.Max(64, s.Count)];
        int n;
        do n = s.Wait(timeoutMicros, fired); while (n == -Errno.EINTR);
        Assert.True(n >= 0, $"{s.Backend} wait failed: {Errno.Name(-n) ?? n.ToString()}");
        return fired.Take(n).Select(e => (e.Handler, e.Readable, e.Writable)).ToList();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_pipe_is_readable_while_data_waits_and_again_until_it_is_read(string backend)
    {
        ISelector s = Selector(backend);
        (int r, int w) = Pipe();
        var h = new Handler();
        Assert.True(s.Add(H(r), Interest.Read, h));
        Assert.Empty(Wait(s));
        WriteByte(w);
        Assert.Equal([(h, true, false)], Wait(s, 1_000_000));
        Assert.Equal([(h, true, false)], Wait(s)); // level-triggered: not read yet, reported again
        Assert.Equal(1, ReadBytes(r));
        Assert.Empty(Wait(s));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Write_interest_on_a_pipe_with_room_is_writable_and_both_interests_report_together(string backend)
    {
        ISelector s = Selector(backend);
        (int r, int w) = Pipe();
        var hw = new Handler();
        var hr = new Handler();
        s.Add(H(w), Interest.Write, hw);
        s.Add(H(r), Interest.ReadWrite, hr); // a read end is never writable
        WriteByte(w);
        var got = Wait(s, 1_000_000);
        Assert.Equal(2, got.Count);
        Assert.Contains((hw, false, true), got);
        Assert.Contains((hr, true, false), got);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Closing_the_write_end_makes_the_read_end_readable_and_read_returns_EOF(string backend)
    {
        ISelector s = Selector(backend);
        (int r, int w) = Pipe();
        var h = new Handler();
        s.Add(H(r), Interest.Read, h);
        Close(w); // POLLHUP without POLLIN for poll and epoll; select: readable
        Assert.Equal([(h, true, false)], Wait(s, 1_000_000));
        Assert.Equal(0, ReadBytes(r));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void Closing_the_read_end_makes_the_write_end_writable_so_the_writer_meets_EPIPE(string backend)
    {
        ISelector s = Selector(backend);
        (int r, int w) = Pipe();
        var h = new Handler();
        s.Add(H(w), Interest.Write, h);
        Close(r); // POLLERR for poll and epoll; select: writable
        Assert.Equal([(h, false, true)], Wait(s, 1_000_000));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_reset_connection_is_readable_and_writable_for_what_was_asked_and_recv_gets_ECONNRESET(string backend)
    {
        ISelector s = Selector(backend);
        (Socket server1, Socket client1) = TcpPair();
        (Socket server2, Socket client2) = TcpPair();
        var both = new Handler();
        var reader = new Handler();
        // server1 watches both directions (echo pending), server2 only reading.
        s.Add(H(server1), Interest.ReadWrite, both);
        s.Add(H(server2), Interest.Read, reader);
        Assert.Contains((both, false, true), Wait(s)); // room to write, nothing to read yet
        foreach (Socket c in new[] { client1, client2 })
        {
            c.LingerState = new LingerOption(true, 0); // close sends RST
            c.Close();
        }
        List<(IEventHandler H, bool R, bool W)> got = [];
        for (int i = 0; i < 50 && got.Count < 2; i++) { got = Wait(s, 100_000); } // the RST crosses loopback at once, but let it
        Assert.Contains((both, true, true), got);
        Assert.Contains((reader, true, false), got);
        Assert.Equal(2, got.Count);
        var e = Assert.Throws<SocketException>(() => server2.Receive(new byte[16]));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_half_closed_peer_makes_the_socket_readable_with_EOF(string backend)
    {
        ISelector s = Selector(backend);
        (Socket server, Socket client) = TcpPair();
        var h = new Handler();
        s.Add(H(server), Interest.Read, h);
        Assert.Empty(Wait(s));
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal([(h, true, false)], Wait(s, 1_000_000));
        Assert.Equal(0, server.Receive(new byte[16]));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void With_no_interest_nothing_is_reported_even_a_hangup_and_interest_restored_hears_it(string backend)
    {
        ISelector s = Selector(backend);
        (int r, int w) = Pipe();
        var h = new Handler();
        s.Add(H(r), Interest.Read, h);
        s.Modify(H(r), Interest.None);
        WriteByte(w);
        Close(w); // data and a hangup: poll and epoll would report POLLHUP whatever events say
        Assert.Empty(Wait(s));
        s.Modify(H(r), Interest.Read);
        Assert.Equal([(h, true, false)], Wait(s, 1_000_000));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_removed_descriptor_is_not_reported_though_it_is_ready(string backend)
    {
        ISelector s = Selector(backend);
        (int r1, int w1) = Pipe();
        (int r2, int w2) = Pipe();
        var h1 = new Handler();
        var h2 = new Handler();
        s.Add(H(r1), Interest.Read, h1);
        s.Add(H(r2), Interest.Read, h2);
        WriteByte(w1);
        WriteByte(w2);
        s.Remove(H(Math.Max(r1, r2))); // the highest: select's nfds shrinks
        IEventHandler kept = r1 < r2 ? h1 : h2;
        Assert.Equal([(kept, true, false)], Wait(s, 1_000_000));
        Assert.Equal(1, s.Count);
    }

    [Fact]
    public void Epoll_with_more_ready_than_its_event_array_serves_them_all_in_turn()
    {
        // Level-triggered: the kernel puts a descriptor it reported back at the end of its ready
        // list, so with room for 2 events per wait, 5 ready pipes are all served within 3 waits.
        ISelector s = Selector("epoll", epollMaxEvents: 2);
        var handlers = new List<Handler>();
        for (int i = 0; i < 5; i++)
        {
            (int r, int w) = Pipe();
            var h = new Handler();
            handlers.Add(h);
            s.Add(H(r), Interest.Read, h);
            WriteByte(w);
        }
        var seen = new HashSet<IEventHandler>();
        for (int i = 0; i < 3; i++)
        {
            List<(IEventHandler H, bool R, bool W)> got = Wait(s);
            Assert.Equal(2, got.Count);
            foreach (var e in got) seen.Add(e.H);
        }
        Assert.Equal(5, seen.Count);
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("epoll")]
    public void Poll_and_epoll_watch_descriptors_past_FD_SETSIZE(string backend)
    {
        Robust.EnsureDescriptorLimit(4096);
        ISelector s = Selector(backend);
        var ends = new List<(int R, int W)>();
        while (ends.Count == 0 || ends[^1].W < 1100) ends.Add(Pipe());
        var handlers = new Dictionary<int, Handler>();
        foreach ((int r, _) in ends)
        {
            handlers[r] = new Handler();
            Assert.True(s.Add(H(r), Interest.Read, handlers[r]));
        }
        (int high, int highW) = ends.MaxBy(e => e.R);
        Assert.True(high >= Libc.FD_SETSIZE, $"highest read end {high}");
        WriteByte(highW);
        Assert.Equal([(handlers[high], true, false)], Wait(s, 1_000_000));
    }

    public void Dispose()
    {
        foreach (IDisposable d in _disposables) d.Dispose();
        foreach (int fd in _fds) Libc.close(fd);
    }
}
