using NSubstitute;
using NSubstitute.Core;
using RawSelect.Interop;
using RawSelect.Interop.Unix;

namespace RawSelect.Tests.Faults;

/// <summary>
/// The server's handlers on a substituted seam: the real SelectSelector and handlers, with every
/// system call answered by the test. Sends are recorded so tests can check that every byte
/// left, once, in order.
/// </summary>
public sealed class Harness
{
    public ISocketApi Api { get; } = Substitute.For<ISocketApi>();
    public ISelectApi Sys { get; } = Substitute.For<ISelectApi>();
    public SelectSelector Selector { get; }
    public ServerContext Cx { get; }
    public Counters Counters => Cx.Counters;
    public MemoryStream Sent { get; } = new();
    public List<int> Closed { get; } = new();

    public Harness(int bufferSize = 1024)
    {
        Selector = new SelectSelector(Sys);
        Cx = new ServerContext(Api, Selector, new Log(LogLevel.Quiet, Stream.Null), new Counters(), bufferSize);
        Api.ErrorText(Arg.Any<int>()).Returns("text");
        // Like a platform without recvmmsg/sendmmsg, unless a test says otherwise.
        Api.RecvMany(Arg.Any<SocketHandle>(), Arg.Any<DatagramBatch>(), Arg.Any<int>()).Returns(-Errno.ENOSYS);
        Api.SendMany(Arg.Any<SocketHandle>(), Arg.Any<DatagramBatch>(), Arg.Any<int>(), Arg.Any<int>()).Returns(-Errno.ENOSYS);
        Api.Close(Arg.Any<SocketHandle>()).Returns(ci => { Closed.Add(ci.Arg<SocketHandle>().Fd); return 0; });
    }

    public static SocketHandle Fd(int fd) => SocketHandle.FromFd(fd);

    /// <summary>
    /// Inside a substituted Select: does what the kernel does to the sets it is given (rewrites
    /// the words below nfds to hold only the ready descriptors) and returns the count.
    /// </summary>
    public static int Ready(CallInfo ci, int[] read, int[] write)
    {
        int words = (ci.ArgAt<int>(0) + 63) >> 6;
        LargeFdSet r = ci.ArgAt<LargeFdSet>(1), w = ci.ArgAt<LargeFdSet>(2);
        r.Words[..words].Clear();
        w.Words[..words].Clear();
        foreach (int fd in read) r.Set(fd);
        foreach (int fd in write) w.Set(fd);
        return read.Length + write.Length;
    }

    /// <summary>A copy of a set as it is now (the selector reuses its sets call after call).</summary>
    public static LargeFdSet Snapshot(LargeFdSet s)
    {
        var copy = new LargeFdSet(s.Capacity);
        copy.CopyFrom(s, s.AllocatedWords);
        return copy;
    }

    /// <summary>recv answers come from this queue: a byte[] is data, an int is -errno (0 = EOF).</summary>
    public void RecvReturns(int fd, params object[] answers)
    {
        var q = new Queue<object>(answers);
        Api.Recv(Fd(fd), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            if (q.Count == 0) return -Errno.EAGAIN;
            object a = q.Dequeue();
            if (a is byte[] data)
            {
                int count = ci.ArgAt<int>(3);
                Assert.True(data.Length <= count, $"test gave {data.Length} bytes for a {count}-byte recv");
                Buffer.BlockCopy(data, 0, ci.ArgAt<byte[]>(1), ci.ArgAt<int>(2), data.Length);
                return data.Length;
            }
            return (nint)(int)a;
        });
    }

    /// <summary>send answers: a non-negative int takes that many bytes (capped at the count), a negative one is -errno; when the queue is empty every send takes everything.</summary>
    public void SendTakes(int fd, params int[] answers)
    {
        var q = new Queue<int>(answers);
        Api.Send(Fd(fd), Arg.Any<byte[]>(), Arg.Any<int>(), Arg.Any<int>()).Returns(ci =>
        {
            int count = ci.ArgAt<int>(3);
            int take = q.Count == 0 ? count : q.Dequeue();
            if (take < 0) return take;
            take = Math.Min(take, count);
            Sent.Write(ci.ArgAt<byte[]>(1), ci.ArgAt<int>(2), take);
            return take;
        });
    }

    public TcpConnection Open(int fd)
    {
        TcpConnection c = Cx.ConnectionPool.Rent(Cx);
        Assert.True(c.Open(Fd(fd), NetAddress.IPv4Loopback(40000)));
        return c;
    }

    public static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
