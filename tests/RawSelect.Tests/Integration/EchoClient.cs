using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace RawSelect.Tests.Integration;

/// <summary>Client-side helpers on System.Net.Sockets: an independent stack checking ours.</summary>
public static class EchoClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connects. A small <paramref name="receiveBufferSize"/> (set before connecting, so it also
    /// turns off the kernel's receive-buffer autotuning) keeps the echo in the server's own
    /// buffer rather than in ours: loopback would otherwise swallow megabytes.
    /// </summary>
    public static Socket Connect(IPEndPoint ep, int receiveBufferSize = 0)
    {
        var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize > 0) s.ReceiveBufferSize = receiveBufferSize;
        LoopbackSource.Bind(s, ep);
        s.Connect(ep);
        s.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        s.SendTimeout = (int)Timeout.TotalMilliseconds;
        return s;
    }

    /// <summary>
    /// Everyone at once: a <paramref name="size"/>-byte message tagged with its index on each of the
    /// first <paramref name="count"/> clients, all sent before any is read, so the server finds
    /// them ready together; then every echo read back whole and its tag checked.
    /// </summary>
    public static void EchoAllAtOnce(IReadOnlyList<Socket> clients, int count, int size)
    {
        var msg = new byte[size];
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(msg, i);
            clients[i].Send(msg);
        }
        var got = new byte[size];
        for (int i = 0; i < count; i++)
        {
            for (int have = 0; have < size;)
            {
                int n = clients[i].Receive(got, have, size - have, SocketFlags.None);
                Assert.True(n > 0, $"client #{i}: EOF during the echo");
                have += n;
            }
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(got));
        }
    }

    /// <summary>Sends data while reading the echo concurrently; returns what came back.</summary>
    public static async Task<byte[]> EchoAsync(Socket s, byte[] data, bool halfClose, int expected = -1)
    {
        if (expected < 0) expected = data.Length;
        using var cts = new CancellationTokenSource(Timeout);
        Task send = Task.Run(async () =>
        {
            int off = 0;
            while (off < data.Length)
            {
                int n = await s.SendAsync(data.AsMemory(off, Math.Min(65536, data.Length - off)), SocketFlags.None, cts.Token);
                off += n;
            }
            if (halfClose) s.Shutdown(SocketShutdown.Send);
        });
        var got = new MemoryStream();
        var buf = new byte[65536];
        while (got.Length < expected || halfClose)
        {
            int n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
            if (n == 0) break;
            got.Write(buf, 0, n);
        }
        await send;
        return got.ToArray();
    }

    public static string Digest(byte[] b) => Convert.ToHexString(SHA256.HashData(b));

    /// <summary>What a streamed echo saw: bytes each way and the SHA-256 of each direction.</summary>
    public sealed record StreamResult(long Sent, long Received, string SentDigest, string ReceivedDigest, bool SawEof);

    /// <summary>
    /// Streams <paramref name="total"/> bytes of <see cref="Pattern"/>(seed) while reading the echo
    /// concurrently; every byte received is checked against the pattern as it arrives (a mismatch
    /// fails with its offset) and both directions are hashed. With <paramref name="halfClose"/> the
    /// client shuts down its sending side at the end and reads until the server's EOF.
    /// </summary>
    public static async Task<StreamResult> StreamEchoAsync(Socket s, long total, int seed, bool halfClose, CancellationToken ct,
        Action<long>? received = null)
    {
        using var sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Task<long> send = Task.Run(async () =>
        {
            var pattern = new Pattern(seed);
            var chunk = new byte[65536];
            long sent = 0;
            while (sent < total)
            {
                int n = (int)Math.Min(chunk.Length, total - sent);
                pattern.Fill(chunk.AsSpan(0, n));
                sentHash.AppendData(chunk, 0, n);
                int off = 0;
                while (off < n) off += await s.SendAsync(chunk.AsMemory(off, n - off), SocketFlags.None, ct);
                sent += n;
            }
            if (halfClose) s.Shutdown(SocketShutdown.Send);
            return sent;
        }, ct);

        var verify = new StreamVerifier(seed);
        var buf = new byte[65536];
        bool eof = false;
        while (verify.Count < total || halfClose)
        {
            int n = await s.ReceiveAsync(buf, SocketFlags.None, ct);
            if (n == 0) { eof = true; break; }
            verify.Check(buf.AsSpan(0, n));
            received?.Invoke(verify.Count);
        }
        long sentTotal = await send;
        return new StreamResult(sentTotal, verify.Count, Convert.ToHexString(sentHash.GetHashAndReset()), verify.Digest(), eof);
    }

    /// <summary>
    /// Non-blocking sends of the pattern until the kernel has refused every attempt for
    /// <paramref name="stall"/> (it stopped taking data: the server is pushing back). Gives up
    /// after <paramref name="maxBytes"/> or <paramref name="maxTime"/> and returns Stalled=false:
    /// the server kept taking data. <paramref name="sample"/> runs every 5 ms or so (RSS sampling);
    /// <paramref name="stallStarted"/> each time a run of refused sends begins.
    /// The socket is left non-blocking. The pattern is advanced only by what the kernel took.
    /// </summary>
    public static (long Sent, bool Stalled) FillUntilStalled(Socket s, Pattern pattern, TimeSpan stall, TimeSpan maxTime,
        long maxBytes, Action? sample = null, Action? stallStarted = null)
    {
        s.Blocking = false;
        var chunk = new byte[65536];
        int have = 0, off = 0;
        long sent = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan lastProgress = TimeSpan.Zero;
        bool inStall = false;
        TimeSpan lastSample = TimeSpan.FromSeconds(-1);
        while (clock.Elapsed < maxTime && sent < maxBytes)
        {
            if (sample is not null && clock.Elapsed - lastSample >= TimeSpan.FromMilliseconds(5))
            {
                sample();
                lastSample = clock.Elapsed;
            }
            if (off == have)
            {
                pattern.Fill(chunk);
                have = chunk.Length;
                off = 0;
            }
            int n = s.Send(chunk, off, have - off, SocketFlags.None, out SocketError err);
            if (err == SocketError.Success && n > 0)
            {
                off += n;
                sent += n;
                lastProgress = clock.Elapsed;
                inStall = false;
                continue;
            }
            if (err != SocketError.WouldBlock && err != SocketError.Success)
                throw new SocketException((int)err);
            if (!inStall) { inStall = true; stallStarted?.Invoke(); }
            if (clock.Elapsed - lastProgress >= stall)
            {
                // The bytes of the chunk the kernel did not take were never sent: rewind the
                // pattern by handing them back to the caller's accounting (sent counts only what
                // went out), and keep the pattern aligned by remembering the leftover.
                pattern.PushBack(chunk.AsSpan(off, have - off));
                return (sent, true);
            }
            Thread.Sleep(10);
        }
        pattern.PushBack(chunk.AsSpan(off, have - off));
        return (sent, false);
    }

    /// <summary>
    /// Blocking reads until <paramref name="count"/> bytes have been checked by <paramref name="verify"/>.
    /// A slow reader (<paramref name="readSize"/> bytes, then a pause of <paramref name="pauseMs"/>)
    /// keeps the server's sends blocked, so its buffer is rarely empty.
    /// </summary>
    public static void ReceiveVerified(Socket s, StreamVerifier verify, long count, int readSize = 65536, int pauseMs = 0)
    {
        s.Blocking = true;
        var buf = new byte[readSize];
        long target = verify.Count + count;
        while (verify.Count < target)
        {
            int n = s.Receive(buf, 0, (int)Math.Min(buf.Length, target - verify.Count), SocketFlags.None);
            if (n == 0) throw new IOException($"EOF after {verify.Count} of {target} bytes");
            verify.Check(buf.AsSpan(0, n));
            if (pauseMs > 0) Thread.Sleep(pauseMs);
        }
    }

    /// <summary>
    /// One UDP round trip from an ephemeral loopback port of the same family: sends the payload,
    /// returns the reply. Loopback UDP practically never drops, but it may: a lost datagram is
    /// resent (up to <paramref name="attempts"/> times) rather than failing the test. The reply
    /// must come from the address the datagram was sent to.
    /// </summary>
    public static byte[] UdpEcho(IPEndPoint server, byte[] payload, int attempts = 3, int timeoutMs = 2000)
    {
        bool v6 = server.AddressFamily == AddressFamily.InterNetworkV6;
        using var s = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        s.ReceiveTimeout = timeoutMs;
        var buf = new byte[65536 + 64];
        for (int attempt = 1; attempt <= attempts; attempt++)
        {
            s.SendTo(payload, server);
            EndPoint from = new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            try
            {
                int n = s.ReceiveFrom(buf, ref from);
                if (!from.Equals(server))
                    throw new InvalidOperationException($"the reply came from {from}, not from {server}");
                return buf.AsSpan(0, n).ToArray();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut) { }
        }
        throw new TimeoutException($"no reply from {server} to a {payload.Length}-byte datagram, sent {attempts} times {timeoutMs} ms apart");
    }

    public static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}

/// <summary>
/// A deterministic byte stream from a seed, the same whatever the chunking: the sender and the
/// checker each hold one and stay in step. <see cref="PushBack"/> returns bytes that were drawn
/// but never sent, so they are drawn again next.
/// </summary>
public sealed class Pattern
{
    private readonly Random _rng;
    private readonly byte[] _block = new byte[65536];
    private int _pos;
    private byte[] _back = [];
    private int _backPos;

    public Pattern(int seed)
    {
        _rng = new Random(seed);
        _pos = _block.Length;
    }

    public void Fill(Span<byte> dest)
    {
        if (_backPos < _back.Length)
        {
            int k = Math.Min(dest.Length, _back.Length - _backPos);
            _back.AsSpan(_backPos, k).CopyTo(dest);
            _backPos += k;
            dest = dest[k..];
        }
        while (dest.Length > 0)
        {
            if (_pos == _block.Length)
            {
                _rng.NextBytes(_block);
                _pos = 0;
            }
            int n = Math.Min(dest.Length, _block.Length - _pos);
            _block.AsSpan(_pos, n).CopyTo(dest);
            _pos += n;
            dest = dest[n..];
        }
    }

    public void PushBack(ReadOnlySpan<byte> unsent)
    {
        if (unsent.IsEmpty) return;
        byte[] rest = _back.AsSpan(_backPos).ToArray();
        _back = [.. unsent, .. rest];
        _backPos = 0;
    }
}

/// <summary>Checks received bytes against the pattern as they arrive; hashes them too.</summary>
public sealed class StreamVerifier : IDisposable
{
    private readonly Pattern _expected;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _tmp = new byte[65536];

    public StreamVerifier(int seed) => _expected = new Pattern(seed);

    public long Count { get; private set; }

    public void Check(ReadOnlySpan<byte> got)
    {
        if (_tmp.Length < got.Length) _tmp = new byte[got.Length];
        Span<byte> want = _tmp.AsSpan(0, got.Length);
        _expected.Fill(want);
        if (!got.SequenceEqual(want))
        {
            int i = 0;
            while (got[i] == want[i]) i++;
            throw new InvalidDataException(
                $"echo differs at byte {Count + i}: got 0x{got[i]:x2}, expected 0x{want[i]:x2}");
        }
        _hash.AppendData(got);
        Count += got.Length;
    }

    public string Digest() => Convert.ToHexString(_hash.GetCurrentHash());

    public void Dispose() => _hash.Dispose();
}
