// dotnet-async-echo: the TCP + UDP echo server a .NET developer would write instead of a
// select loop: System.Net.Sockets with async/await (the runtime's own epoll engine and
// thread pool underneath), published Native AOT. A benchmark baseline for RawSelect.
//
// TCP: an accept loop; per connection an async loop ReceiveAsync -> SendAsync on a buffer
//      of --buffer-size bytes (default 64 KiB) owned by the connection; NoDelay set.
// UDP: one loop per socket, ReceiveFromAsync -> SendToAsync, 64 KiB buffer.
// SIGTERM/SIGINT: PosixSignalRegistration -> close the sockets -> exit 0.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using BenchBaseline;

static class Program
{
    static long s_accepted, s_closed, s_bytes, s_udp;

    static int Main(string[] args)
    {
        if (!EchoOptions.TryParse(args, out EchoOptions o, out string error))
        {
            Console.Error.WriteLine($"dotnet-async-echo: {error}");
            return 2;
        }
        using var stop = new ManualResetEventSlim();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });

        var sockets = new List<Socket>();
        try
        {
            foreach (IPEndPoint ep in o.Tcp)
            {
                Socket l = EchoOptions.Open(ep, SocketType.Stream, o.Backlog);
                sockets.Add(l);
                Console.Out.WriteLine($"listening tcp {EchoOptions.Format(l.LocalEndPoint)}");
            }
            foreach (IPEndPoint ep in o.Udp)
            {
                Socket u = EchoOptions.Open(ep, SocketType.Dgram, 0);
                sockets.Add(u);
                Console.Out.WriteLine($"listening udp {EchoOptions.Format(u.LocalEndPoint)}");
            }
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"dotnet-async-echo: cannot listen: {e.Message}");
            return 1;
        }
        Console.Out.Flush();

        foreach (Socket s in sockets)
        {
            if (s.SocketType == SocketType.Stream) _ = AcceptLoop(s, o.BufferSize);
            else _ = UdpLoop(s);
        }

        stop.Wait();
        foreach (Socket s in sockets) s.Dispose();
        if (o.LogLevel >= 2)
            Console.Error.WriteLine(
                $"counters: accepted={Interlocked.Read(ref s_accepted)} closed={Interlocked.Read(ref s_closed)} " +
                $"bytes={Interlocked.Read(ref s_bytes)} udp={Interlocked.Read(ref s_udp)} " +
                $"gc0={GC.CollectionCount(0)} gc1={GC.CollectionCount(1)} gc2={GC.CollectionCount(2)}");
        return 0;
    }

    static async Task AcceptLoop(Socket listener, int bufferSize)
    {
        while (true)
        {
            Socket c;
            try
            {
                c = await listener.AcceptAsync();
            }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted) { return; }
            catch (SocketException) { continue; } // ECONNABORTED, EMFILE...: try again
            Interlocked.Increment(ref s_accepted);
            c.NoDelay = true;
            _ = Serve(c, bufferSize);
        }
    }

    static async Task Serve(Socket c, int bufferSize)
    {
        byte[] buffer = new byte[bufferSize];
        try
        {
            while (true)
            {
                int n = await c.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (n == 0) break;
                Interlocked.Add(ref s_bytes, n);
                await c.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
            c.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        finally
        {
            c.Dispose();
            Interlocked.Increment(ref s_closed);
        }
    }

    static async Task UdpLoop(Socket u)
    {
        byte[] buffer = new byte[65536];
        EndPoint any = u.AddressFamily == AddressFamily.InterNetworkV6
            ? new IPEndPoint(IPAddress.IPv6Any, 0)
            : new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await u.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, any);
            }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted) { return; }
            catch (SocketException) { continue; }
            Interlocked.Increment(ref s_udp);
            try
            {
                await u.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint);
            }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { }
        }
    }
}
