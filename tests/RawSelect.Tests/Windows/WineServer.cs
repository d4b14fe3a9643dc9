using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace RawSelect.Tests.Windows;

/// <summary>
/// rawselect.exe (the win-x64 build) running under Wine. The wine64 loader becomes the Windows
/// process itself, so the PID we start is the server's: SIGINT reaches it as a Ctrl+C console
/// event, and Dispose ends it (SIGKILL) by that PID only.
/// </summary>
public sealed partial class WineServer : IDisposable
{
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();
    private Task _stderrDone = Task.CompletedTask;

    public Process Process { get; }
    public List<(string Proto, IPEndPoint EndPoint)> Listening { get; } = new();

    /// <summary>From exec to the last "listening" line.</summary>
    public TimeSpan StartupTime { get; private set; }

    private WineServer(Process p) => Process = p;

    public int Pid => Process.Id;
    public IPEndPoint Tcp => Listening.First(l => l.Proto == "tcp").EndPoint;
    public IPEndPoint Udp => Listening.First(l => l.Proto == "udp").EndPoint;
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    /// <summary>Starts the server and waits (up to startTimeout) for one listening line per socket.</summary>
    public static WineServer Start(string[] args, int expectedSockets, TimeSpan startTimeout)
    {
        var sw = Stopwatch.StartNew();
        var p = Process.Start(Wine.StartInfo(Wine.Exe, args))!;
        var s = new WineServer(p);
        p.StandardInput.Close();
        s._stderrDone = Task.Run(async () =>
        {
            try
            {
                while (await p.StandardError.ReadLineAsync() is string l) lock (s._stderr) s._stderr.AppendLine(l);
            }
            catch (Exception) { }
        });

        DateTime deadline = DateTime.UtcNow + startTimeout;
        while (s.Listening.Count < expectedSockets)
        {
            Task<string?> line = p.StandardOutput.ReadLineAsync();
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !line.Wait(left) || line.Result is null)
            {
                string why = p.HasExited ? $"exited with {p.ExitCode}" : $"no listening lines within {startTimeout}";
                s.Dispose();
                throw new InvalidOperationException($"rawselect.exe under Wine: {why}; stdout: {s.Stdout} stderr: {s.Stderr}");
            }
            lock (s._stdout) s._stdout.AppendLine(line.Result);
            string[] parts = line.Result.Split(' ');
            if (parts.Length == 3 && parts[0] == "listening") s.Listening.Add((parts[1], IPEndPoint.Parse(parts[2])));
        }
        s.StartupTime = sw.Elapsed;
        _ = Task.Run(async () =>
        {
            try
            {
                while (await p.StandardOutput.ReadLineAsync() is string l) lock (s._stdout) s._stdout.AppendLine(l);
            }
            catch (Exception) { }
        });
        return s;
    }

    /// <summary>Runs the exe to its exit (argument and bind errors): exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) RunToExit(TimeSpan timeout, params string[] args)
    {
        using var p = Process.Start(Wine.StartInfo(Wine.Exe, args))!;
        p.StandardInput.Close();
        Task<string> o = p.StandardOutput.ReadToEndAsync(), e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            kill(p.Id, SIGKILL);
            p.WaitForExit(5000);
            throw new TimeoutException($"rawselect.exe {string.Join(' ', args)} did not exit within {timeout}");
        }
        // Bounded: a Wine helper process that inherited the pipes could hold them open long after.
        Task.WaitAll([o, e], TimeSpan.FromSeconds(5));
        return (p.ExitCode, o.IsCompleted ? o.Result : "", e.IsCompleted ? e.Result : "");
    }

    /// <summary>Waits until stderr holds text (the "serving" line follows the listening lines, a moment later).</summary>
    public string WaitForStderr(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (sw.Elapsed > timeout || Process.HasExited)
                throw new TimeoutException($"no '{text}' on stderr within {timeout}: {Stderr}");
            Thread.Sleep(20);
        }
        return Stderr;
    }

    public const int SIGINT = 2, SIGKILL = 9;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    /// <summary>Ctrl+C, as Wine delivers it: SIGINT to the process becomes CTRL_C_EVENT.</summary>
    public int? StopWithCtrlC(TimeSpan timeout)
    {
        kill(Pid, SIGINT);
        if (!Process.WaitForExit(timeout)) return null;
        // The last stderr lines (the exit counters) are in the pipe already; wait for the reader,
        // but boundedly, never for end of file (see WinePrefix.EnsureReady).
        _stderrDone.Wait(TimeSpan.FromSeconds(3));
        return Process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                kill(Pid, SIGKILL);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        Process.Dispose();
    }
}
