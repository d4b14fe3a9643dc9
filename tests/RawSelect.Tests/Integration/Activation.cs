using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RawSelect.Tests.Integration;

/// <summary>
/// Helpers for launching the binary the way a service manager does: through
/// systemd-socket-activate (which execs it, so the PID is the server's), or through a small
/// python launcher that puts any kind of descriptor at fd 3 and sets LISTEN_PID to its own pid
/// before exec'ing the server.
/// </summary>
public static class Activation
{
    public const string SocketActivate = "systemd-socket-activate";

    public static string? SocketActivatePath =>
        new[] { "/usr/bin/systemd-socket-activate", "/bin/systemd-socket-activate" }.FirstOrDefault(File.Exists);

    /// <summary>A free loopback port, found by binding port 0 and closing again.</summary>
    public static int FreePort(bool tcp)
    {
        using var s = new Socket(AddressFamily.InterNetwork, tcp ? SocketType.Stream : SocketType.Dgram, tcp ? ProtocolType.Tcp : ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>Connects, retrying while the launcher has not bound the port yet (5 s at most).</summary>
    public static Socket ConnectRetrying(IPEndPoint ep)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { return EchoClient.Connect(ep); }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(5)) { Thread.Sleep(50); }
        }
    }

    /// <summary>Sends a datagram until one comes back (the first wakes the launcher, which execs the server).</summary>
    public static void UdpKick(IPEndPoint ep)
    {
        using var c = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 200 };
        var clock = Stopwatch.StartNew();
        var buf = new byte[64];
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            c.SendTo("kick"u8.ToArray(), ep);
            try { if (c.Receive(buf) == 4) return; }
            catch (SocketException) { }
        }
        throw new TimeoutException($"no echo from {ep} within 5 s of socket activation");
    }

    /// <summary>
    /// python3: make fd 3 what <paramref name="kind"/> says, set LISTEN_PID to our own pid (or
    /// PID if given) and LISTEN_FDS, then exec the server. Kinds: tcp-blocking (a listening TCP
    /// socket left blocking and inheritable, as a careless manager might), udp-blocking, pipe,
    /// file, closed, tcp-unlistened, tcp-connected, none (fd 3 untouched).
    /// </summary>
    public const string Launcher = """
        import os, socket, sys
        kind, fds, pid = sys.argv[1], sys.argv[2], sys.argv[3]
        exe = sys.argv[4:]
        keep = []
        fd = None
        if kind == 'tcp-blocking':
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); keep.append(s); fd = s.fileno()
            print('port', s.getsockname()[1], flush=True)
        elif kind == 'udp-blocking':
            s = socket.socket(type=socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); keep.append(s); fd = s.fileno()
            print('port', s.getsockname()[1], flush=True)
        elif kind == 'pipe':
            r, w = os.pipe(); fd = r
        elif kind == 'file':
            fd = os.open('/etc/passwd', os.O_RDONLY)
        elif kind == 'tcp-unlistened':
            s = socket.socket(); s.bind(('127.0.0.1', 0)); keep.append(s); fd = s.fileno()
        elif kind == 'tcp-connected':
            l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(); c = socket.create_connection(l.getsockname())
            keep += [l, c]; fd = c.fileno()
        if kind == 'closed':
            try: os.close(3)
            except OSError: pass
        elif fd is not None:
            if fd != 3: os.dup2(fd, 3)
            os.set_inheritable(3, True)
        env = dict(os.environ, LISTEN_FDS=fds, LISTEN_PID=str(os.getpid()) if pid == 'self' else pid)
        os.execve(exe[0], exe, env)
        """;

    /// <summary>Runs the launcher to the server's exit: exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) LaunchToExit(string kind, string fds, string pid, params string[] args)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "-c", Launcher, kind, fds, pid, ServerProcess.BinaryPath }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(10_000))
        {
            p.Kill();
            throw new TimeoutException($"launcher {kind} did not exit within 10 s");
        }
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>The flags line of /proc/PID/fdinfo/FD (octal open flags).</summary>
    public static int FdFlags(int pid, int fd)
    {
        string line = File.ReadLines($"/proc/{pid}/fdinfo/{fd}").First(l => l.StartsWith("flags:"));
        return Convert.ToInt32(line.Substring(6).Trim(), 8);
    }

    public const int O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000; // Linux x86-64/arm64, as Libc declares them
}
