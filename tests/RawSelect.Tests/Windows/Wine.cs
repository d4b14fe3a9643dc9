using System.Diagnostics;

namespace RawSelect.Tests.Windows;

/// <summary>
/// Where Wine and the Windows build are, and how to run a Windows program under Wine for a test:
/// a private prefix under artifacts/ (never the user's ~/.wine), no debug chatter, no display,
/// and no Gecko installer (the build needs no browser engine and there is no network to fetch
/// one). Wine Mono is not needed either: the build carries its own .NET runtime.
/// </summary>
public static class Wine
{
    /// <summary>The wine64 loader: $RAWSELECT_WINE, wine64 on PATH, Debian's /usr/lib/wine/wine64, or wine.</summary>
    public static readonly string? Loader = FindLoader();

    /// <summary>wineserver for the same installation (stops the prefix's server when the suite ends).</summary>
    public static readonly string? Server = Loader is null ? null : FindServer(Loader);

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The self-contained win-x64 build: $RAWSELECT_WINDOWS_EXE or artifacts/windows/rawselect.exe.</summary>
    public static string Exe { get; } =
        Environment.GetEnvironmentVariable("RAWSELECT_WINDOWS_EXE") is { Length: > 0 } e ? e
        : Path.Combine(RepoRoot, "artifacts", "windows", "rawselect.exe");

    /// <summary>$RAWSELECT_WINEPREFIX or artifacts/wine-prefix: private, created on first use.</summary>
    public static string Prefix { get; } =
        Environment.GetEnvironmentVariable("RAWSELECT_WINEPREFIX") is { Length: > 0 } p ? p
        : Path.Combine(RepoRoot, "artifacts", "wine-prefix");

    /// <summary>Null when the Wine tests can run; otherwise why not, in words a developer can act on.</summary>
    public static string? SkipReason { get; } =
        Loader is null
            ? "Wine is not installed: apt-get install wine64 (Debian puts the loader at /usr/lib/wine/wine64), or set RAWSELECT_WINE. CI installs it, so there these tests run."
        : !File.Exists(Exe)
            ? $"the Windows build is missing ({Exe}): run scripts/build-windows.sh (or scripts/build.sh --windows). CI builds it, so there these tests run."
        : null;

    /// <summary>RAWSELECT_REQUIRE_WINE=1: a missing Wine or Windows build is a failure, not a skip.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("RAWSELECT_REQUIRE_WINE") is "1" or "true";

    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Loader!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(program);
        foreach (string a in args) psi.ArgumentList.Add(a);
        Configure(psi);
        return psi;
    }

    public static void Configure(ProcessStartInfo psi)
    {
        psi.Environment["WINEPREFIX"] = Prefix;
        psi.Environment["WINEARCH"] = "win64";
        psi.Environment["WINEDEBUG"] = "-all";
        // No Gecko (mshtml) install prompt. mscoree must stay: Wine's loader hands IL-only images,
        // such as the runtime's own System.*.dll, to it.
        psi.Environment["WINEDLLOVERRIDES"] = "mshtml=";
        // Debian's /usr/bin/wine wrapper needs this when it runs wine64 itself; harmless otherwise.
        if (Loader!.EndsWith("wine64", StringComparison.Ordinal)) psi.Environment["WINELOADER"] = Loader;
        psi.Environment.Remove("DISPLAY");
        psi.Environment.Remove("WAYLAND_DISPLAY");
    }

    /// <summary>
    /// Runs a tool of the Wine installation (wineboot, wineserver) to completion, its output to a
    /// log file rather than a pipe: Wine's background processes (wineserver, services.exe) inherit
    /// the tool's stdout and stderr, and a pipe they hold would never reach end of file.
    /// </summary>
    public static (int Code, string Output, TimeSpan Took) Run(string file, TimeSpan timeout, params string[] args)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Prefix)!);
        string log = Prefix + ".log";
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("log=\"$1\"; shift; exec \"$@\" </dev/null >\"$log\" 2>&1");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(log);
        psi.ArgumentList.Add(file);
        foreach (string a in args) psi.ArgumentList.Add(a);
        Configure(psi);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        if (!p.WaitForExit(timeout))
        {
            p.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        TimeSpan took = sw.Elapsed;
        string output = File.Exists(log) ? File.ReadAllText(log) : "";
        return (p.ExitCode, output, took);
    }

    private static string? FindLoader()
    {
        if (Environment.GetEnvironmentVariable("RAWSELECT_WINE") is { Length: > 0 } env)
            return File.Exists(env) ? env : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string c = Path.Combine(dir, "wine64");
            if (File.Exists(c)) return c;
        }
        if (File.Exists("/usr/lib/wine/wine64")) return "/usr/lib/wine/wine64";
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string c = Path.Combine(dir, "wine");
            if (File.Exists(c)) return c;
        }
        return null;
    }

    private static string? FindServer(string loader)
    {
        string beside = Path.Combine(Path.GetDirectoryName(loader)!, "wineserver");
        if (File.Exists(beside)) return beside;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string c = Path.Combine(dir, "wineserver");
            if (File.Exists(c)) return c;
        }
        return null;
    }

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "RawSelect.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("cannot find the repository root (RawSelect.sln)");
    }
}

/// <summary>
/// A fact that runs the Windows build under Wine. Where Wine or the build is absent it is skipped
/// with the reason, never passed silently.
/// With RAWSELECT_REQUIRE_WINE=1 (CI sets it) nothing is skipped: a missing Wine or build fails
/// the tests instead, so a broken CI image cannot turn the Windows suite into silent skips.
public sealed class WineFactAttribute : FactAttribute
{
    public WineFactAttribute()
    {
        if (Wine.SkipReason is string why && !Wine.Required) Skip = why;
    }
}

public sealed class WineTheoryAttribute : TheoryAttribute
{
    public WineTheoryAttribute()
    {
        if (Wine.SkipReason is string why && !Wine.Required) Skip = why;
    }
}
