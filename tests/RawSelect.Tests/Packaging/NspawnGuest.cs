using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using RawSelect.Tests.Release;
using Xunit.Abstractions;

namespace RawSelect.Tests.Packaging;

/// <summary>
/// A Debian 12 root file system (scripts/release/rootfs.sh, cached under artifacts/) booted under
/// systemd-nspawn -b with systemd as its PID 1. The tree is mounted read-only beneath a tmpfs
/// (--volatile=overlay), so whatever a test installs is gone at power-off and the cache stays
/// clean. The guest shares the host's network (no --private-network): port 7 bound by the guest's
/// systemd is port 7 on the host's loopback. Commands run inside through nsenter on the guest's
/// PID 1, each bounded in time. Dispose powers the guest off (SIGTERM to the systemd-nspawn this
/// object started, which asks the guest's systemd to shut down), and kills it by PID if that
/// takes longer than its bound.
/// </summary>
public sealed partial class NspawnGuest : IDisposable
{
    private readonly Process _nspawn;
    private readonly StringBuilder _console = new();
    private readonly ITestOutputHelper _out;

    /// <summary>The guest's PID 1 (its systemd) as the host numbers it.</summary>
    public int GuestPid { get; }

    public static string RootFs => Path.Combine(ReleaseArtifacts.RepoRoot, "artifacts", "nspawn-debian12");

    private NspawnGuest(Process nspawn, int guestPid, ITestOutputHelper output)
    {
        _nspawn = nspawn;
        GuestPid = guestPid;
        _out = output;
    }

    /// <summary>Why the guest cannot be booted here, or null.</summary>
    public static string? SkipReason()
    {
        if (!OperatingSystem.IsLinux()) return "systemd-nspawn is Linux only";
        if (geteuid() != 0) return "needs root: systemd-nspawn boots a container (CI runs as root)";
        if (PackagingTools.Missing("systemd-nspawn", "nsenter") is string m) return m + " (Debian's systemd-container)";
        if (!File.Exists(Path.Combine(RootFs, ".complete")) && PackagingTools.Missing("mmdebstrap") is string mm)
            return $"{RootFs} is not built and {mm}";
        return null;
    }

    /// <summary>Builds the root file system if it is not cached, then boots it and waits for its systemd to finish starting up.</summary>
    public static NspawnGuest Boot(ITestOutputHelper output, params string[] bindReadOnly)
    {
        var sw = Stopwatch.StartNew();
        (int code, string built) = ReleaseArtifacts.Run(TimeSpan.FromMinutes(15), Path.Combine(ReleaseArtifacts.RepoRoot, "scripts", "release", "rootfs.sh"));
        Assert.True(code == 0, $"scripts/release/rootfs.sh failed: {built}");
        output.WriteLine($"{built.Trim().Split('\n').Last()} ({sw.Elapsed.TotalSeconds:0.0} s)");

        var psi = new ProcessStartInfo("systemd-nspawn")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        foreach (string a in new[]
                 {
                     "--quiet", "--boot", "--directory", RootFs, "--machine", $"rawselect-{Environment.ProcessId}",
                     // No machined or host systemd is asked for anything: the container lives in the scope it was started from.
                     "--register=no", "--keep-unit", "--console=passive", "--volatile=overlay",
                 })
            psi.ArgumentList.Add(a);
        foreach (string b in bindReadOnly) psi.ArgumentList.Add("--bind-ro=" + b);
        sw.Restart();
        var nspawn = Process.Start(psi)!;
        var console = new StringBuilder();
        nspawn.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (console) console.AppendLine(e.Data); };
        nspawn.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (console) console.AppendLine(e.Data); };
        nspawn.BeginOutputReadLine();
        nspawn.BeginErrorReadLine();

        int guest = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(30) && !nspawn.HasExited)
        {
            guest = ChildNamed(nspawn.Id, "systemd");
            if (guest != 0) break;
            Thread.Sleep(50);
        }
        if (guest == 0)
        {
            if (!nspawn.HasExited) { nspawn.Kill(); nspawn.WaitForExit(10_000); }
            lock (console) Assert.Fail($"systemd-nspawn did not start the guest's systemd within 30 s (exit {(nspawn.HasExited ? nspawn.ExitCode : -1)}): {console}");
        }
        var g = new NspawnGuest(nspawn, guest, output);
        lock (console) g._console.Append(console);
        // Until the guest's systemd has opened its control socket, systemctl cannot reach it: it
        // says so, or answers "offline".
        (int c, string state) = (0, "");
        while (true)
        {
            (c, state) = g.Exec(TimeSpan.FromSeconds(90), "systemctl", "is-system-running", "--wait");
            bool unreachable = state.Contains("Failed to connect to bus") || state.Trim() == "offline";
            if (!unreachable || sw.Elapsed > TimeSpan.FromSeconds(60)) break;
            Thread.Sleep(100);
        }
        output.WriteLine($"guest: systemd PID {guest} on the host, is-system-running: {state.Trim()} after {sw.Elapsed.TotalSeconds:0.0} s");
        if (state.Trim() is not ("running" or "degraded"))
        {
            string failed = g.Exec(TimeSpan.FromSeconds(10), "systemctl", "--failed", "--no-pager").Output;
            g.Dispose();
            Assert.Fail($"the guest did not finish booting ({state.Trim()}, exit {c}): {failed}");
        }
        return g;
    }

    /// <summary>A child process of parent whose command name is name (the container's init), or 0.</summary>
    private static int ChildNamed(int parent, string name)
    {
        try
        {
            foreach (string task in Directory.GetDirectories($"/proc/{parent}/task"))
                foreach (string pid in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (File.ReadAllText($"/proc/{pid}/comm").Trim() == name) return int.Parse(pid);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    /// <summary>Runs a command inside the guest (all of its namespaces, its root and working directory), bounded in time.</summary>
    public (int Code, string Output) Exec(TimeSpan timeout, params string[] command) =>
        ReleaseArtifacts.Run(timeout, "nsenter", ["-t", GuestPid.ToString(), "-m", "-u", "-i", "-n", "-p", "-r", "-w", "--", .. command]);

    public (int Code, string Output) Exec(params string[] command) => Exec(TimeSpan.FromSeconds(60), command);

    /// <summary>Exec that must exit 0; returns its output.</summary>
    public string Must(params string[] command)
    {
        (int code, string output) = Exec(command);
        Assert.True(code == 0, $"in the guest: {string.Join(' ', command)} exited {code}: {output}");
        return output;
    }

    public void Dispose()
    {
        var sw = Stopwatch.StartNew();
        if (!_nspawn.HasExited)
        {
            // SIGTERM to systemd-nspawn: it asks the guest's systemd for an orderly power-off.
            kill(_nspawn.Id, SIGTERM);
            if (!_nspawn.WaitForExit(30_000))
            {
                // Not down in 30 s: SIGKILL to the guest's PID 1 ends its whole PID namespace.
                kill(GuestPid, SIGKILL);
                if (!_nspawn.WaitForExit(10_000)) _nspawn.Kill();
                _nspawn.WaitForExit(10_000);
                _out.WriteLine($"guest: killed after no power-off within 30 s; console: {_console}");
            }
        }
        _out.WriteLine($"guest: powered off in {sw.Elapsed.TotalSeconds:0.0} s (systemd-nspawn exit {(_nspawn.HasExited ? _nspawn.ExitCode.ToString() : "?")})");
        _nspawn.Dispose();
    }

    private const int SIGKILL = 9, SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

/// <summary>
/// A fact that boots the guest: skipped with the reason where it cannot (not Linux, not root, no
/// systemd-nspawn, no root file system and no mmdebstrap to build one, no release package);
/// RAWSELECT_REQUIRE_SYSTEMD=1 (set by .ci/run) turns any such skip into a failure.
/// </summary>
public sealed class SystemdFactAttribute : FactAttribute
{
    public static bool Required => Environment.GetEnvironmentVariable("RAWSELECT_REQUIRE_SYSTEMD") is "1" or "true";

    public SystemdFactAttribute()
    {
        string? why = NspawnGuest.SkipReason() ?? PackagingTools.PackagesSkipReason;
        if (why is not null && !Required) Skip = why;
    }
}
