// dotnet-select-echo: the select design written with the managed Socket.Select API
// (System.Net.Sockets; on Linux the runtime implements it with poll(2)), published Native
// AOT. A benchmark baseline for RawSelect: what "a select loop in C#" costs without raw
// P/Invoke.
//
// One thread: the lists are rebuilt every round (Socket.Select removes the sockets that are
// not ready); non-blocking sockets; recv into one shared buffer and send at once; what the
// kernel does not take is kept per connection (allocated then, dropped when flushed) and the
// socket moves from the read list to the write list (backpressure, capped at --buffer-size);
// UDP drains up to 64 datagrams per round with the allocation-free SocketAddress overloads.
// SIGTERM/SIGINT: a flag plus one datagram to a loopback wake socket that is in the read list.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using BenchBaseline;

sealed class Conn
{
    public readonly Socket S;
    public byte[]? Pending;
    public int Off, Len;
    public Conn(Socket s) => S = s;
}

static class Program
{
    static volatile bool s_stop;
    static long s_accepted, s_closed, s_bytes, s_udp, s_selects, s_partial;

    static int Main(string[] args)
    {
        if (!EchoOptions.TryParse(args, out EchoOptions o, out string error))
        {
            Console.Error.WriteLine($"dotnet-select-echo: {error}");
            return 2;
        }

        var listeners = new List<Socket>();
        var udps = new List<Socket>();
        try
        {
            foreach (IPEndPoint ep in o.Tcp)
            {
                Socket l = EchoOptions.Open(ep, SocketType.Stream, o.Backlog);
                l.Blocking = false;
                listeners.Add(l);
                Console.Out.WriteLine($"listening tcp {EchoOptions.Format(l.LocalEndPoint)}");
            }
            foreach (IPEndPoint ep in o.Udp)
            {
                Socket u = EchoOptions.Open(ep, SocketType.Dgram, 0);
                u.Blocking = false;
                udps.Add(u);
                Console.Out.WriteLine($"listening udp {EchoOptions.Format(u.LocalEndPoint)}");
            }
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"dotnet-select-echo: cannot listen: {e.Message}");
            return 1;
        }
        Console.Out.Flush();

        // wake-up: the signal callback runs on another thread; it sends one datagram here
        using var wake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        wake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        wake.Blocking = false;
        EndPoint wakeEp = wake.LocalEndPoint!;
        using var waker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Action<PosixSignalContext> onSignal = c =>
        {
            c.Cancel = true;
            s_stop = true;
            try { waker.SendTo(new byte[1], wakeEp); } catch (SocketException) { }
        };
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, onSignal);

        var conns = new Dictionary<Socket, Conn>();
        var readList = new List<Socket>();
        var writeList = new List<Socket>();
        int bufferSize = o.BufferSize;
        byte[] scratch = new byte[Math.Max(bufferSize, 65536)];
        var udpFrom = new SocketAddress[udps.Count];
        for (int i = 0; i < udps.Count; i++) udpFrom[i] = new SocketAddress(udps[i].AddressFamily);

        while (!s_stop)
        {
            readList.Clear();
            writeList.Clear();
            readList.Add(wake);
            readList.AddRange(listeners);
            readList.AddRange(udps);
            foreach (Conn c in conns.Values)
            {
                if (c.Len == 0) readList.Add(c.S);
                else writeList.Add(c.S);
            }
            Socket.Select(readList, writeList.Count > 0 ? writeList : null, null, -1);
            s_selects++;

            foreach (Socket s in writeList)
                if (conns.TryGetValue(s, out Conn? c)) Flush(conns, c);

            foreach (Socket s in readList)
            {
                if (conns.TryGetValue(s, out Conn? c))
                {
                    if (c.Len == 0) Readable(conns, c, scratch, bufferSize);
                }
                else if (s == wake)
                {
                    try { while (wake.Available > 0) wake.Receive(scratch); } catch (SocketException) { }
                }
                else if (listeners.Contains(s))
                {
                    Socket a;
                    try { a = s.Accept(); }
                    catch (SocketException) { continue; } // EAGAIN race, ECONNABORTED, EMFILE
                    a.Blocking = false;
                    a.NoDelay = true;
                    conns.Add(a, new Conn(a));
                    s_accepted++;
                }
                else
                {
                    int k = udps.IndexOf(s);
                    DrainUdp(s, udpFrom[k], scratch);
                }
            }
        }

        foreach (Conn c in conns.Values) c.S.Dispose();
        foreach (Socket s in listeners) s.Dispose();
        foreach (Socket s in udps) s.Dispose();
        if (o.LogLevel >= 2)
            Console.Error.WriteLine(
                $"counters: accepted={s_accepted} closed={s_closed} bytes={s_bytes} partial={s_partial} udp={s_udp} " +
                $"selects={s_selects} gc0={GC.CollectionCount(0)} gc1={GC.CollectionCount(1)} gc2={GC.CollectionCount(2)}");
        return 0;
    }

    static void Close(Dictionary<Socket, Conn> conns, Conn c)
    {
        conns.Remove(c.S);
        c.S.Dispose();
        s_closed++;
    }

    static void Readable(Dictionary<Socket, Conn> conns, Conn c, byte[] scratch, int bufferSize)
    {
        int n = c.S.Receive(scratch, 0, bufferSize, SocketFlags.None, out SocketError err);
        if (err == SocketError.WouldBlock) return;
        if (err != SocketError.Success) { Close(conns, c); return; }
        if (n == 0)
        {
            try { c.S.Shutdown(SocketShutdown.Send); } catch (SocketException) { }
            Close(conns, c);
            return;
        }
        s_bytes += n;
        int done = 0;
        while (done < n)
        {
            int w = c.S.Send(scratch, done, n - done, SocketFlags.None, out err);
            if (err == SocketError.WouldBlock) break;
            if (err != SocketError.Success) { Close(conns, c); return; }
            done += w;
        }
        if (done == n) return;
        s_partial++;
        c.Pending = new byte[bufferSize];
        c.Len = n - done;
        c.Off = 0;
        Buffer.BlockCopy(scratch, done, c.Pending, 0, c.Len);
    }

    static void Flush(Dictionary<Socket, Conn> conns, Conn c)
    {
        while (c.Len > 0)
        {
            int w = c.S.Send(c.Pending!, c.Off, c.Len, SocketFlags.None, out SocketError err);
            if (err == SocketError.WouldBlock) return;
            if (err != SocketError.Success) { Close(conns, c); return; }
            c.Off += w;
            c.Len -= w;
        }
        c.Pending = null;
        c.Off = 0;
    }

    static void DrainUdp(Socket u, SocketAddress from, byte[] scratch)
    {
        for (int k = 0; k < 64; k++)
        {
            if (k > 0 && u.Available == 0) return;
            int n;
            try
            {
                n = u.ReceiveFrom(scratch.AsSpan(0, 65536), SocketFlags.None, from);
            }
            catch (SocketException) { return; } // EAGAIN, or an ICMP error surfaced
            s_udp++;
            try { u.SendTo(scratch.AsSpan(0, n), SocketFlags.None, from); }
            catch (SocketException) { } // EAGAIN: UDP may drop
        }
    }
}
