using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using RawSelect.Tests.Release;

namespace RawSelect.Tests.Container;

/// <summary>
/// A private podman for one test class: its own storage, run and network directories under a
/// fresh temporary directory, and its own containers.conf (CONTAINERS_CONF), so the machine's
/// /var/lib/containers and /etc/containers are neither read nor changed. The conf holds the
/// knobs a host like the development VM needs: <c>default_ulimits = []</c> (podman's default
/// raises RLIMIT_NOFILE, which needs CAP_SYS_RESOURCE this VM lacks), runc, cgroupfs (no
/// systemd), and k8s-file logs and no event log (no journald). Dispose removes every container,
/// pod and image it made, then the directory.
/// </summary>
public sealed class PodmanHost : IDisposable
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(90);

    private readonly string _dir;
    private readonly string[] _global;
    private readonly Dictionary<string, string?> _env;
    private int _names;

    private readonly bool _probeOnly;

    public PodmanHost() : this([]) { }

    /// <param name="defaultSysctls">e.g. net.ipv4.ip_unprivileged_port_start=0: set in every container podman makes.</param>
    /// <param name="probeOnly">for podman info alone: the vfs driver (no mounts), so there is nothing to reset afterwards.</param>
    public PodmanHost(IReadOnlyList<string> defaultSysctls, bool probeOnly = false)
    {
        _probeOnly = probeOnly;
        _dir = Directory.CreateTempSubdirectory("rsp-").FullName; // short: conmon's socket paths are limited
        string conf = Path.Combine(_dir, "containers.conf");
        var sb = new StringBuilder();
        sb.AppendLine("[containers]");
        sb.AppendLine("default_ulimits = []");
        sb.AppendLine("log_driver = \"k8s-file\"");
        if (defaultSysctls.Count > 0)
            sb.AppendLine($"default_sysctls = [{string.Join(", ", defaultSysctls.Select(s => $"\"{s}\""))}]");
        sb.AppendLine("[engine]");
        sb.AppendLine("runtime = \"runc\"");
        sb.AppendLine("cgroup_manager = \"cgroupfs\"");
        sb.AppendLine("events_logger = \"none\"");
        sb.AppendLine($"tmp_dir = \"{Path.Combine(_dir, "tmp")}\"");
        sb.AppendLine("[network]");
        sb.AppendLine($"network_config_dir = \"{Path.Combine(_dir, "networks")}\"");
        File.WriteAllText(conf, sb.ToString());
        _env = new() { ["CONTAINERS_CONF"] = conf, ["CONTAINERS_REGISTRIES_CONF"] = "/dev/null" };
        _global = ["--root", Path.Combine(_dir, "root"), "--runroot", Path.Combine(_dir, "run"), "--storage-driver", probeOnly ? "vfs" : "overlay"];
    }

    public string Dir => _dir;

    /// <summary>A container or pod name no other test run uses.</summary>
    public string UniqueName(string what) => $"rawselect-test-{Environment.ProcessId}-{what}-{Interlocked.Increment(ref _names)}";

    /// <summary>podman ARGS with the private storage and conf; bounded in time.</summary>
    public (int Code, string Out, string Err) Run(params string[] args) => Run(CallTimeout, args);

    public (int Code, string Out, string Err) Run(TimeSpan timeout, params string[] args)
    {
        using Process p = Start(args);
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"podman {string.Join(' ', args)} did not finish within {timeout}");
        }
        p.WaitForExit();
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>podman ARGS, started and left running (for a stop that races a client).</summary>
    public Process Start(params string[] args)
    {
        // In our own directory: kube play would otherwise look for a build context named after the
        // image ("rawselect") in the working directory, where the test binaries are.
        var psi = new ProcessStartInfo(Podman.Path!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = _dir,
        };
        foreach (string a in _global) psi.ArgumentList.Add(a);
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (var kv in _env) psi.Environment[kv.Key] = kv.Value;
        return Process.Start(psi)!;
    }

    /// <summary>podman ARGS that must succeed: its stdout.</summary>
    public string Ok(params string[] args)
    {
        (int code, string o, string e) = Run(args);
        Assert.True(code == 0, $"podman {string.Join(' ', args)} exited {code}: {e}{o}");
        return o;
    }

    /// <summary>Loads an OCI archive the way a user would (podman load -i); the name it was given.</summary>
    public string Load(string archive)
    {
        string o = Ok("load", "-i", archive);
        Match m = Regex.Match(o, @"Loaded image(?:\(s\))?: (\S+)");
        Assert.True(m.Success, $"podman load said: {o}");
        return m.Groups[1].Value;
    }

    public string Inspect(string name, string format) => Ok("inspect", "--format", format, name).Trim();

    /// <summary>The container's stdout and stderr so far (podman logs).</summary>
    public string Logs(string name)
    {
        (int _, string o, string e) = Run("logs", name);
        return o + e;
    }

    /// <summary>Waits until the container's logs hold <paramref name="count"/> "listening" lines, or it exits.</summary>
    public string WaitListening(string name, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string logs = Logs(name);
            if (Regex.Matches(logs, "^listening ", RegexOptions.Multiline).Count >= count) return logs;
            string state = Inspect(name, "{{.State.Status}}");
            Assert.True(state is "running" or "created" or "configured" or "initialized",
                $"{name} is {state} (exit {Inspect(name, "{{.State.ExitCode}}")}) before listening: {logs}");
            Assert.True(clock.Elapsed < timeout, $"{name}: no {count} listening lines within {timeout}: {logs}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for a container to leave the running state; its exit code.</summary>
    public int WaitExit(string name, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Inspect(name, "{{.State.Status}}") is "running" or "created" or "configured" or "initialized" or "stopping")
        {
            Assert.True(clock.Elapsed < timeout, $"{name} still running after {timeout}: {Logs(name)}");
            Thread.Sleep(50);
        }
        return int.Parse(Inspect(name, "{{.State.ExitCode}}"));
    }

    public int Pid(string name) => int.Parse(Inspect(name, "{{.State.Pid}}"));

    public void Dispose()
    {
        // Everything this host made, then the directory: removed even after a failed test.
        string[][] cleanup = _probeOnly ? [] :
        [
            ["pod", "rm", "--all", "--force", "--time", "0"],
            ["rm", "--all", "--force", "--time", "0"],
            ["system", "reset", "--force"], // images, storage, and the overlay mount podman keeps on it
        ];
        foreach (string[] args in cleanup)
        {
            try { Run(TimeSpan.FromSeconds(60), args); }
            catch (Exception) { /* cleanup goes on; the directory removal below reports what is left */ }
        }
        try { Directory.Delete(_dir, recursive: true); }
        catch (Exception e) { Console.Error.WriteLine($"podman test directory {_dir} not removed: {e.Message}"); }
    }
}

/// <summary>Where podman is and whether these tests can use it.</summary>
public static partial class Podman
{
    public static bool Required => Environment.GetEnvironmentVariable("RAWSELECT_REQUIRE_PODMAN") is "1" or "true";

    public static string? Path { get; } = ReleaseArtifacts.Which("podman");

    /// <summary>The release's image archive (artifacts/release/rawselect-VERSION-oci.tar), or null.</summary>
    public static string? Archive { get; } =
        Directory.Exists(ReleaseArtifacts.Dir) ? Directory.GetFiles(ReleaseArtifacts.Dir, "rawselect-*-oci.tar").SingleOrDefault() : null;

    /// <summary>Null when the image archive is there and a rootful podman with runc can run containers here.</summary>
    public static string? SkipReason => LazySkip.Value;

    private static readonly Lazy<string?> LazySkip = new(Probe);

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "Linux only";
        if (Archive is null) return $"no rawselect-*-oci.tar in {ReleaseArtifacts.Dir}: run scripts/setup.sh --release && scripts/release.sh";
        if (Path is null) return "podman is not installed: scripts/setup.sh --podman (Debian's podman with runc)";
        if (ReleaseArtifacts.Which("runc") is null) return "runc is not installed: scripts/setup.sh --podman";
        if (geteuid() != 0) return "needs root: these tests run rootful podman (bridge networking, port publishing, sysctls); CI runs as root";
        using var host = new PodmanHost([], probeOnly: true);
        (int code, string o, string e) = host.Run(TimeSpan.FromSeconds(60), "info", "--format", "{{.Host.OCIRuntime.Name}}");
        if (code != 0) return $"podman cannot run here: podman info exited {code}: {e.Trim()}";
        if (o.Trim() != "runc") return $"podman's runtime is {o.Trim()}, not runc";
        return null;
    }

    /// <summary>podman's version as podman --version prints it (4.3.1 on Debian 12).</summary>
    public static Version Version()
    {
        (int code, string output) = ReleaseArtifacts.Run(Path!, "--version");
        Assert.Equal(0, code);
        return System.Version.Parse(Regex.Match(output, @"(\d+\.\d+\.\d+)").Groups[1].Value);
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

/// <summary>A fact that needs podman and the image archive: skipped with the reason where they are
/// missing, failed instead under RAWSELECT_REQUIRE_PODMAN=1 (set by .ci/run).</summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    public PodmanFactAttribute()
    {
        if (!Podman.Required && Podman.SkipReason is string why) Skip = why;
    }
}
