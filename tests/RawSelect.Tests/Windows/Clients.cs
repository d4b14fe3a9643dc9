using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace RawSelect.Tests.Windows;

/// <summary>The Linux side of the Wine tests: plain System.Net.Sockets clients, an independent stack.</summary>
public static class Clients
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Socket Connect(IPEndPoint ep)
    {
        var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        s.Connect(ep);
        s.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        s.SendTimeout = (int)Timeout.TotalMilliseconds;
        return s;
    }

    /// <summary>Sends all of data while reading the echo at the same time; returns what came back.</summary>
    public static async Task<byte[]> EchoAsync(Socket s, byte[] data, bool halfClose)
    {
        using var cts = new CancellationTokenSource(Timeout);
        Task send = Task.Run(async () =>
        {
            for (int off = 0; off < data.Length;)
                off += await s.SendAsync(data.AsMemory(off, Math.Min(65536, data.Length - off)), SocketFlags.None, cts.Token);
            if (halfClose) s.Shutdown(SocketShutdown.Send);
        });
        var got = new MemoryStream();
        var buf = new byte[65536];
        while (halfClose || got.Length < data.Length)
        {
            int n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
            if (n == 0) break;
            got.Write(buf, 0, n);
        }
        await send;
        return got.ToArray();
    }

    /// <summary>One small round trip on an open connection.</summary>
    public static byte[] RoundTrip(Socket s, byte[] data)
    {
        s.Send(data);
        var got = new byte[data.Length];
        for (int off = 0; off < got.Length;)
        {
            int n = s.Receive(got, off, got.Length - off, SocketFlags.None);
            if (n == 0) throw new EndOfStreamException($"closed after {off} of {got.Length} bytes");
            off += n;
        }
        return got;
    }

    /// <summary>
    /// What a refused client sees: the server accepted and closed at once, so the next read ends
    /// (0 bytes, or a reset if our bytes arrived after the close). False if it stays open.
    /// </summary>
    public static bool IsClosedByPeer(Socket s, TimeSpan within)
    {
        s.ReceiveTimeout = (int)within.TotalMilliseconds;
        try
        {
            return s.Receive(new byte[16]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return false;
        }
        finally
        {
            s.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        }
    }

    public static byte[] UdpEcho(IPEndPoint server, byte[] datagram)
    {
        using var u = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        u.Bind(new IPEndPoint(server.Address, 0));
        u.ReceiveTimeout = 10_000;
        u.ReceiveBufferSize = 1 << 20;
        u.SendTo(datagram, server);
        var buf = new byte[65536];
        EndPoint from = new IPEndPoint(server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        int n = u.ReceiveFrom(buf, ref from);
        Assert.Equal(server, (IPEndPoint)from);
        return buf.AsSpan(0, n).ToArray();
    }

    public static string Digest(byte[] b) => Convert.ToHexString(SHA256.HashData(b));

    public static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
