using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using RawSelect.Tests.Integration;

namespace RawSelect.Tests.Release;

/// <summary>
/// Where scripts/release.sh left its output (artifacts/release/, or $RAWSELECT_RELEASE_DIR) and
/// the tools the release tests run it with: qemu-aarch64 for the arm64 binary, the bullseye
/// sysroots under artifacts/ (scripts/release/sysroot.sh), aarch64-linux-gnu-gcc for the layout
/// probe. Absent, the tests say what is missing and skip; RAWSELECT_REQUIRE_RELEASE=1 (set in
/// CI) makes that a failure, so a broken CI image cannot turn the release tests into skips.
/// </summary>
public static class ReleaseArtifacts
{
    /// <summary>The oldest glibc the release binaries are built for; scripts/release.sh enforces it.</summary>
    public const string GlibcFloor = "2.17";

    public static string RepoRoot => ServerProcess.RepoRoot;

    public static string Dir { get; } =
        Environment.GetEnvironmentVariable("RAWSELECT_RELEASE_DIR") is { Length: > 0 } d ? d
        : Path.Combine(RepoRoot, "artifacts", "release");

    public static bool Required => Environment.GetEnvironmentVariable("RAWSELECT_REQUIRE_RELEASE") is "1" or "true";

    /// <summary>The archive for a target (linux-x64, linux-arm64, win-x64), or null.</summary>
    public static string? Archive(string target) =>
        !Directory.Exists(Dir) ? null
        : Directory.GetFiles(Dir, $"rawselect-*-{target}.{(target.StartsWith("win") ? "zip" : "tar.gz")}").SingleOrDefault();

    public static string SumsFile => Path.Combine(Dir, "SHA256SUMS");

    /// <summary>Null when the release archives are there; otherwise what to run.</summary>
    public static string? SkipReason { get; } =
        new[] { "linux-x64", "linux-arm64", "win-x64" }.FirstOrDefault(t => Archive(t) is null) is string missing
            ? $"no release archive for {missing} in {Dir}: run scripts/setup.sh --release && scripts/release.sh (CI does: RAWSELECT_RELEASE=1)"
        : !File.Exists(SumsFile) ? $"{SumsFile} is missing: run scripts/release.sh"
        : null;

    public static string? Qemu { get; } = Which("qemu-aarch64");

    /// <summary>Libraries qemu-aarch64 loads the arm64 binary's dependencies from: bullseye's arm64 libc, as the release links against.</summary>
    public static string Arm64Sysroot => Path.Combine(RepoRoot, "artifacts", "sysroot-arm64");

    public static string? QemuSkipReason { get; } =
        Qemu is null ? "qemu-aarch64 is not installed: scripts/setup.sh --release (Debian's qemu-user)"
        : !Directory.Exists(Arm64Sysroot) ? $"{Arm64Sysroot} is missing: scripts/release.sh fetches it"
        : null;

    public static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>SHA256SUMS as a map from file name to lower-case hex digest.</summary>
    public static Dictionary<string, string> Sums() =>
        File.ReadAllLines(SumsFile).Where(l => l.Length > 0)
            .Select(l => l.Split("  ", 2))
            .ToDictionary(p => p[1], p => p[0]);

    public static string Sha256(string file)
    {
        using FileStream f = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    /// <summary>Unpacks an archive into an empty directory of its own, the way a user would (tar / zip).</summary>
    public static string Unpack(string archive, string into)
    {
        Directory.CreateDirectory(into);
        Assert.Empty(Directory.EnumerateFileSystemEntries(into));
        if (archive.EndsWith(".zip", StringComparison.Ordinal))
        {
            ZipFile.ExtractToDirectory(archive, into);
        }
        else
        {
            (int code, string output) = Run("tar", "-xzf", archive, "-C", into);
            Assert.True(code == 0, $"tar -xzf {archive} failed: {output}");
        }
        return into;
    }

    /// <summary>The release linux-x64 binary, unpacked from its archive once per test run (under artifacts/).</summary>
    public static string LinuxX64Binary => UnpackedBinary("linux-x64");

    public static string LinuxArm64Binary => UnpackedBinary("linux-arm64");

    private static readonly Dictionary<string, string> Unpacked = new();

    private static string UnpackedBinary(string target)
    {
        lock (Unpacked)
        {
            if (Unpacked.TryGetValue(target, out string? bin)) return bin;
            string archive = Archive(target) ?? throw new InvalidOperationException(SkipReason ?? $"no {target} archive");
            string dir = Path.Combine(RepoRoot, "artifacts", "release-tests", $"unpacked-{target}-{Environment.ProcessId}");
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Unpack(archive, dir);
            bin = Directory.GetFiles(dir, "rawselect", SearchOption.AllDirectories).Single();
            Unpacked[target] = bin;
            return bin;
        }
    }

    public static (int Code, string Output) Run(string file, params string[] args) => Run(TimeSpan.FromSeconds(60), file, args);

    public static (int Code, string Output) Run(TimeSpan timeout, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (p.ExitCode, o.Result + err.Result);
    }

    /// <summary>Highest GLIBC_x.y among a binary's dynamic symbol versions (objdump -T), as release.sh checks it.</summary>
    public static Version MaxGlibc(string objdump, string binary)
    {
        (int code, string output) = Run(objdump, "-T", binary);
        Assert.True(code == 0, $"{objdump} -T {binary} failed: {output}");
        return System.Text.RegularExpressions.Regex.Matches(output, @"GLIBC_(\d+(?:\.\d+)+)")
            .Select(m => Version.Parse(m.Groups[1].Value)).Max()!;
    }
}

/// <summary>A fact that needs the release archives: skipped with the reason when they are absent, failed instead under RAWSELECT_REQUIRE_RELEASE=1.</summary>
public sealed class ReleaseFactAttribute : FactAttribute
{
    public ReleaseFactAttribute()
    {
        if (ReleaseArtifacts.SkipReason is string why && !ReleaseArtifacts.Required) Skip = why;
    }
}

public sealed class ReleaseTheoryAttribute : TheoryAttribute
{
    public ReleaseTheoryAttribute()
    {
        if (ReleaseArtifacts.SkipReason is string why && !ReleaseArtifacts.Required) Skip = why;
    }
}

/// <summary>Release archives, qemu-aarch64 and the arm64 sysroot: the arm64 binary run under emulation.</summary>
public sealed class QemuReleaseFactAttribute : FactAttribute
{
    public QemuReleaseFactAttribute()
    {
        string? why = ReleaseArtifacts.SkipReason ?? ReleaseArtifacts.QemuSkipReason;
        if (why is not null && !ReleaseArtifacts.Required) Skip = why;
    }
}

/// <summary>Release archives and root (chroot(2)); not root is a skip even in CI, which runs as root.</summary>
public sealed partial class RootReleaseFactAttribute : FactAttribute
{
    public RootReleaseFactAttribute()
    {
        if (ReleaseArtifacts.SkipReason is string why && !ReleaseArtifacts.Required) Skip = why;
        else if (Environment.UserName != "root" && geteuid() != 0)
            Skip = "needs root: chroot(2) requires CAP_SYS_CHROOT (CI runs as root)";
    }

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial uint geteuid();
}
