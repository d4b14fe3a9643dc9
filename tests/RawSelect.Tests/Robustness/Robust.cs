using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using RawSelect.Tests.Integration;
using Xunit;

namespace RawSelect.Tests.Robustness;

/// <summary>
/// The robustness tests (issue 3: limits, abuse and long runs) run one after another and alone:
/// they measure CPU time and descriptor counts of the server, which neighbours would disturb on a
/// 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RobustnessCollection
{
    public const string Name = "Robustness (the published binary under abuse)";
}

/// <summary>Helpers shared by the robustness tests; the server itself comes from <see cref="ServerProcess"/>.</summary>
public static partial class Robust
{
    /// <summary>
    /// Asks the server for its counters (SIGUSR1; the server prints one "counters k=v ..." line to
    /// stderr with --log-level info) and returns the newest line parsed.
    /// </summary>
    public static Dictionary<string, long> Counters(ServerProcess server)
    {
        int before = CountersLines(server.Stderr).Count;
        server.Signal(ServerProcess.SIGUSR1);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            List<string> lines = CountersLines(server.Stderr);
            if (lines.Count > before) return Parse(lines[^1]);
            Assert.False(server.HasExited, $"the server exited; stderr:\n{Tail(server.Stderr)}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"no counters line within 5 s of SIGUSR1; stderr:\n{Tail(server.Stderr)}");
            Thread.Sleep(5);
        }
    }

    /// <summary>The counters line printed at exit ("exit k=v ...").</summary>
    public static Dictionary<string, long> ExitCounters(ServerProcess server)
    {
        string? line = server.Stderr.Split('\n').LastOrDefault(l => l.StartsWith("info: exit "));
        Assert.True(line is not null, $"no exit counters line; stderr:\n{Tail(server.Stderr)}");
        return Parse(line!);
    }

    private static List<string> CountersLines(string stderr) =>
        stderr.Split('\n').Where(l => l.StartsWith("info: counters ")).ToList();

    public static Dictionary<string, long> Parse(string line)
    {
        var d = new Dictionary<string, long>();
        foreach (string kv in line.Split(' '))
        {
            int eq = kv.IndexOf('=');
            if (eq > 0 && long.TryParse(kv.AsSpan(eq + 1), out long v)) d[kv[..eq]] = v;
        }
        Assert.True(d.ContainsKey("select_calls"), $"not a counters line: {line}");
        return d;
    }

    /// <summary>Polls the counters until <paramref name="ok"/> holds; returns the counters that satisfied it.</summary>
    public static Dictionary<string, long> WaitForCounters(ServerProcess server, Func<Dictionary<string, long>, bool> ok,
        string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(10);
        while (true)
        {
            Dictionary<string, long> c = Counters(server);
            if (ok(c)) return c;
            Assert.True(clock.Elapsed < limit, $"{what}: not reached within {limit.TotalSeconds} s; counters: {Format(c)}");
            Thread.Sleep(50);
        }
    }

    public static string Format(Dictionary<string, long> c) => string.Join(' ', c.Select(kv => $"{kv.Key}={kv.Value}"));

    public static string Tail(string text, int lines = 20) => string.Join('\n', text.Split('\n').TakeLast(lines));

    public static long Refused(Dictionary<string, long> c) => c["tcp_refused_max_clients"] + c["tcp_refused_fd_limit"];

    /// <summary>A blocking loopback connection with a receive timeout.</summary>
    public static Socket Connect(IPEndPoint ep, int receiveTimeoutMs = 5000)
    {
        var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        LoopbackSource.Bind(s, ep);
        s.Connect(ep);
        s.ReceiveTimeout = receiveTimeoutMs;
        s.SendTimeout = 10_000;
        return s;
    }

    /// <summary>Source addresses the many-connection tests spread over: 127.0.0.2 .. 127.0.0.17.</summary>
    public const int SourceAddresses = 16;

    /// <summary>
    /// Connects from 127.0.0.(2 + index % 16) rather than 127.0.0.1, so that thousands of
    /// connections (and the TIME_WAIT sockets they leave) share the ephemeral port range of 16
    /// source addresses: a suite started right after heavy loopback churn still finds ports.
    /// </summary>
    public static Socket ConnectFrom(IPEndPoint ep, int index, int receiveTimeoutMs = 5000)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            s.Bind(new IPEndPoint(new IPAddress(new byte[] { 127, 0, 0, (byte)(2 + index % SourceAddresses) }), 0));
            s.Connect(ep);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        s.ReceiveTimeout = receiveTimeoutMs;
        s.SendTimeout = 10_000;
        return s;
    }

    /// <summary>Sends a small message and reads exactly its echo (blocking, with the socket's timeout).</summary>
    public static void AssertEchoes(Socket s, ReadOnlySpan<byte> message, string who)
    {
        s.Send(message);
        var got = new byte[message.Length];
        int have = 0;
        while (have < got.Length)
        {
            int n;
            try { n = s.Receive(got, have, got.Length - have, SocketFlags.None); }
            catch (SocketException e) { throw new Xunit.Sdk.XunitException($"{who}: no echo ({e.SocketErrorCode}) after {have} of {got.Length} bytes"); }
            if (n == 0) throw new Xunit.Sdk.XunitException($"{who}: EOF after {have} of {got.Length} bytes of echo");
            have += n;
        }
        Assert.True(message.SequenceEqual(got), $"{who}: the echo differs from what was sent");
    }

    /// <summary>
    /// The connection was closed by the server: a read returns 0 (FIN) or fails with a reset,
    /// within <paramref name="timeoutMs"/>. A timeout (the connection hangs, e.g. unaccepted in the
    /// backlog) fails. Returns how long it took.
    /// </summary>
    public static TimeSpan AssertClosedByServer(Socket s, int timeoutMs, string who)
    {
        var clock = Stopwatch.StartNew();
        s.ReceiveTimeout = timeoutMs;
        var buf = new byte[256];
        try
        {
            int n = s.Receive(buf);
            Assert.True(n == 0, $"{who}: expected the server to close the connection, got {n} bytes");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new Xunit.Sdk.XunitException($"{who}: still open after {timeoutMs} ms: the server neither served nor closed it");
        }
        return clock.Elapsed;
    }

    /// <summary>Closes with SO_LINGER 0: the peer gets a RST, not a FIN.</summary>
    public static void Reset(Socket s)
    {
        s.LingerState = new LingerOption(true, 0);
        s.Close();
    }

    public static void CloseAll(List<Socket> sockets)
    {
        foreach (Socket s in sockets) s.Dispose();
        sockets.Clear();
    }

    /// <summary>Descriptor numbers the server holds (from /proc/PID/fd).</summary>
    public static int[] Descriptors(ServerProcess server) =>
        Directory.GetFiles($"/proc/{server.Pid}/fd").Select(p => int.Parse(Path.GetFileName(p))).Order().ToArray();

    /// <summary>
    /// The tests open over a thousand sockets of their own: raise this process's soft descriptor
    /// limit up to the hard one if it is lower than <paramref name="want"/>.
    /// </summary>
    public static void EnsureDescriptorLimit(long want)
    {
        if (!OperatingSystem.IsLinux()) return;
        var rl = new RLimit();
        Assert.Equal(0, getrlimit(RLIMIT_NOFILE, ref rl));
        if (rl.Cur >= (ulong)want) return;
        rl.Cur = Math.Min((ulong)want, rl.Max);
        setrlimit(RLIMIT_NOFILE, ref rl);
        getrlimit(RLIMIT_NOFILE, ref rl);
        Assert.True(rl.Cur >= (ulong)want, $"the test needs {want} descriptors; the hard limit is {rl.Max}");
    }

    private const int RLIMIT_NOFILE = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, ref RLimit rl);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, ref RLimit rl);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    public static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;
}

/// <summary>
/// The well-behaved client of the "bad input" and "burst" tests: on its own thread, echoes a
/// message of a random size (1 to 4096 bytes) every few milliseconds, checks every byte, and
/// records how many round trips it made and the slowest one. Any error is kept and rethrown by
/// <see cref="Stop"/>.
/// </summary>
public sealed class SteadyClient : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private volatile bool _stop;
    private Exception? _error;
    private long _echoes;
    private long _maxLatencyTicks;

    private SteadyClient(IPEndPoint server, int seed)
    {
        _socket = Robust.Connect(server);
        _thread = new Thread(() => Loop(seed)) { IsBackground = true, Name = "steady client" };
        _thread.Start();
    }

    public static SteadyClient Start(IPEndPoint server, int seed = 4242) => new(server, seed);

    public long Echoes => Interlocked.Read(ref _echoes);

    public TimeSpan MaxLatency => TimeSpan.FromTicks(Interlocked.Read(ref _maxLatencyTicks));

    private void Loop(int seed)
    {
        var rng = new Random(seed);
        var msg = new byte[4096];
        var got = new byte[4096];
        try
        {
            while (!_stop)
            {
                int n = rng.Next(1, msg.Length + 1);
                rng.NextBytes(msg.AsSpan(0, n));
                long t0 = Stopwatch.GetTimestamp();
                int sent = 0;
                while (sent < n) sent += _socket.Send(msg, sent, n - sent, SocketFlags.None);
                int have = 0;
                while (have < n)
                {
                    int r = _socket.Receive(got, have, n - have, SocketFlags.None);
                    if (r == 0) throw new IOException($"the steady client got EOF after {_echoes} echoes");
                    have += r;
                }
                long ticks = Stopwatch.GetElapsedTime(t0).Ticks;
                if (!msg.AsSpan(0, n).SequenceEqual(got.AsSpan(0, n)))
                    throw new InvalidDataException($"the steady client's echo #{_echoes} differs from what it sent");
                if (ticks > _maxLatencyTicks) Interlocked.Exchange(ref _maxLatencyTicks, ticks);
                Interlocked.Increment(ref _echoes);
                Thread.Sleep(2);
            }
        }
        catch (Exception e)
        {
            _error = e;
        }
    }

    /// <summary>Stops the loop and fails if the client saw anything wrong.</summary>
    public void Stop()
    {
        _stop = true;
        Assert.True(_thread.Join(TimeSpan.FromSeconds(35)), "the steady client did not stop (a read is hanging)");
        if (_error is not null) throw new Xunit.Sdk.XunitException($"the well-behaved client was disturbed: {_error.GetType().Name}: {_error.Message}");
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(35));
        _socket.Dispose();
    }
}
