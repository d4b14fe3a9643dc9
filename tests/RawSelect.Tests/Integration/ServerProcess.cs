using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace RawSelect.Tests.Integration;

/// <summary>
/// The shipped binary (artifacts/rawselect, Native AOT) started as a child process. Waits for its
/// "listening" lines and parses the real ports. Disposing ends the process it started, by PID.
/// </summary>
public sealed partial class ServerProcess : IDisposable
{
    public Process Process { get; }
    public List<(string Proto, IPEndPoint EndPoint)> Listening { get; } = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stderrRaw = new();
    private readonly StringBuilder _stdout = new();

    private ServerProcess(Process p) => Process = p;

    public int Pid => Process.Id;

    /// <summary>The path of the binary under test: $RAWSELECT_BIN, else artifacts/rawselect in the repo.</summary>
    public static string BinaryPath
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("RAWSELECT_BIN");
            if (!string.IsNullOrEmpty(env)) return env;
            string dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "RawSelect.sln")))
                dir = Path.GetDirectoryName(dir)!;
            if (dir is null) throw new InvalidOperationException("cannot find the repository root");
            string bin = Path.Combine(dir, "artifacts", "rawselect");
            if (!File.Exists(bin))
                throw new InvalidOperationException($"{bin} is missing: run scripts/build.sh (scripts/test.sh does) first");
            return bin;
        }
    }

    public static string RepoRoot
    {
        get
        {
            string dir = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(dir, "RawSelect.sln"))) dir = Path.GetDirectoryName(dir)!;
            return dir;
        }
    }

    /// <summary>Runs the binary to completion (for argument checks): exit code, stdout, stderr.</summary>
    public static (int Code, string Out, string Err) RunToExit(params string[] args) => RunToExit(TimeSpan.FromSeconds(10), args);

    public static (int Code, string Out, string Err) RunToExit(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(BinaryPath) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill();
            throw new TimeoutException($"rawselect {string.Join(' ', args)} did not exit within {timeout}");
        }
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>
    /// Starts the server with the given arguments (ephemeral loopback ports unless the caller
    /// says otherwise) and waits for its listening lines. A shell prefix such as "ulimit -n 64"
    /// runs it under /bin/sh with that limit.
    /// </summary>
    public static ServerProcess Start(string[] args, string? shellPrefix = null, int expectedSockets = -1)
    {
        ProcessStartInfo psi;
        if (shellPrefix is null)
        {
            psi = new ProcessStartInfo(BinaryPath);
            foreach (string a in args) psi.ArgumentList.Add(a);
        }
        else
        {
            psi = new ProcessStartInfo("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($"{shellPrefix} && exec \"$0\" \"$@\"");
            psi.ArgumentList.Add(BinaryPath);
            foreach (string a in args) psi.ArgumentList.Add(a);
        }
        return Launch(psi, args, expectedSockets);
    }

    /// <summary>
    /// Starts the server through another program that ends by exec'ing it, so the PID is the
    /// server's: e.g. <c>chroot DIR /rawselect ARGS</c>. <paramref name="args"/> are the server's own.
    /// </summary>
    /// <remarks>
    /// <paramref name="kick"/>, if given, runs once the launcher has started, before the listening
    /// lines are awaited: systemd-socket-activate execs the server only on the first connection
    /// or datagram.
    /// </remarks>
    public static ServerProcess StartVia(string fileName, string[] leadingArgs, string[] args, int expectedSockets = -1,
        Action? kick = null, IDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName);
        foreach (string a in leadingArgs) psi.ArgumentList.Add(a);
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var kv in environment) psi.Environment[kv.Key] = kv.Value;
        return Launch(psi, args, expectedSockets, kick);
    }

    private static ServerProcess Launch(ProcessStartInfo psi, string[] args, int expectedSockets, Action? kick = null)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        var p = Process.Start(psi)!;
        var sp = new ServerProcess(p);
        if (expectedSockets < 0) expectedSockets = CountSockets(args);

        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (sp._stderr)
            {
                sp._stderrRaw.AppendLine(e.Data);
                sp._stderr.AppendLine(WithoutTimestamp(e.Data));
            }
        };
        p.BeginErrorReadLine();
        if (kick is not null)
        {
            try { kick(); }
            catch { sp.Dispose(); throw; }
        }

        var deadline = DateTime.UtcNow + StartTimeout;
        while (sp.Listening.Count < expectedSockets)
        {
            Task<string?> line = p.StandardOutput.ReadLineAsync();
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero) left = TimeSpan.Zero;
            if (!line.Wait(left) || line.Result is null)
            {
                sp.Dispose();
                throw new InvalidOperationException($"server did not report listening; stderr: {sp.Stderr}");
            }
            lock (sp._stdout) sp._stdout.AppendLine(line.Result);
            string[] parts = line.Result.Split(' ');
            if (parts.Length == 3 && parts[0] == "listening")
                sp.Listening.Add((parts[1], IPEndPoint.Parse(parts[2])));
        }
        _ = Task.Run(async () =>
        {
            try
            {
                while (await p.StandardOutput.ReadLineAsync() is string l) lock (sp._stdout) sp._stdout.AppendLine(l);
            }
            catch (Exception) { }
        });
        return sp;
    }

    /// <summary>
    /// How long a start may take to report listening: 10 s, or $RAWSELECT_START_TIMEOUT_S where
    /// the binary runs emulated (scripts/release/test-arm64.sh: qemu starts it in about 1 s on an
    /// idle machine, many times that while the test host itself is still starting up).
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("RAWSELECT_START_TIMEOUT_S"), out int s) && s > 0 ? s : 10);

    private static int CountSockets(string[] args)
    {
        int tcp = args.Count(a => a == "--tcp"), udp = args.Count(a => a == "--udp");
        if (tcp == 0 && !args.Contains("--no-tcp")) tcp = 1;
        if (udp == 0 && !args.Contains("--no-udp")) udp = 1;
        return tcp + udp;
    }

    /// <summary>The usual test server: TCP and UDP on ephemeral IPv4 loopback ports.</summary>
    public static ServerProcess StartDefault(params string[] extra) =>
        Start(["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0", .. extra]);

    public IPEndPoint Tcp => Listening.First(l => l.Proto == "tcp").EndPoint;
    public IPEndPoint Udp => Listening.First(l => l.Proto == "udp").EndPoint;

    /// <summary>stderr with each line's leading timestamp removed, so tests read lines as "info: ...".</summary>
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>
    /// Waits (up to 10 s) until stderr holds <paramref name="text"/>, and returns stderr. Log lines
    /// are written by the server's log thread, so they may trail the listening lines on stdout.
    /// </summary>
    public string StderrWhenItHas(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Stderr.Contains(text) && DateTime.UtcNow < deadline && !Process.HasExited) Thread.Sleep(10);
        Thread.Sleep(20); // the rest of that line
        return Stderr;
    }

    /// <summary>stderr exactly as the server wrote it.</summary>
    public string StderrRaw { get { lock (_stderr) return _stderrRaw.ToString(); } }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")]
    private static partial System.Text.RegularExpressions.Regex TimestampPrefix();

    /// <summary>A log line without its "2026-12-02T01:02:03.456Z " prefix (lines without one unchanged).</summary>
    public static string WithoutTimestamp(string line) => TimestampPrefix().Replace(line, "", 1);
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public const int SIGINT = 2, SIGKILL = 9, SIGUSR1 = 10, SIGTERM = 15;

    public void Signal(int sig) => kill(Pid, sig);

    /// <summary>kill(2) on a process the test started itself.</summary>
    public static void Kill(int pid, int sig) => kill(pid, sig);

    /// <summary>Sends a signal and waits for the exit; returns the exit code, or null on timeout.</summary>
    public int? StopWith(int sig, TimeSpan timeout)
    {
        Signal(sig);
        if (!Process.WaitForExit(timeout)) return null;
        Process.WaitForExit(); // flush the async stderr reader
        return Process.ExitCode;
    }

    /// <summary>Resident set size in KiB, from /proc/PID/status.</summary>
    public long RssKiB()
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith("VmRSS:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return -1;
    }

    /// <summary>utime + stime in clock ticks (1/100 s), from /proc/PID/stat.</summary>
    public long CpuTicks()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        string[] f = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
        return long.Parse(f[11]) + long.Parse(f[12]);
    }

    /// <summary>Sends a signal and returns (exit code or null on timeout, time from the signal to the exit).</summary>
    public (int? Code, TimeSpan Elapsed) StopTimed(int sig, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        Signal(sig);
        bool exited = Process.WaitForExit(timeout);
        TimeSpan elapsed = sw.Elapsed;
        if (!exited) return (null, elapsed);
        Process.WaitForExit(); // flush the async stderr reader
        return (Process.ExitCode, elapsed);
    }

    public int OpenDescriptors() => Directory.GetFiles($"/proc/{Pid}/fd").Length;

    public bool HasExited => Process.HasExited;

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Signal(SIGKILL);
                Process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        Process.Dispose();
    }
}
