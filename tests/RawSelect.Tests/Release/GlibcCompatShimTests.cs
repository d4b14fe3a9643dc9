using System.Globalization;
using Xunit.Abstractions;

namespace RawSelect.Tests.Release;

/// <summary>
/// scripts/release/glibc-compat.c, on its own: a small C program calling log and pow, linked
/// against bullseye's glibc exactly as the release links (clang, the sysroot, --wrap=log,--wrap=pow
/// plus the shim), asks for nothing above the floor, binds log/pow to their base versions, and
/// computes the same results as this machine's libm (via .NET's Math, which calls it). Linked
/// without the shim, the same program asks for GLIBC_2.29: the shim is what makes the difference.
/// The arm64 build of it runs under qemu-aarch64.
/// </summary>
public sealed class GlibcCompatShimTests
{
    private const string Program = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <math.h>
        int main(int argc, char **argv) {
            for (int i = 1; i + 1 < argc; i += 2) {
                double x = strtod(argv[i], 0), y = strtod(argv[i + 1], 0);
                printf("%a %a\n", log(x), pow(x, y));
            }
            return 0;
        }
        """;

    private static readonly (double X, double Y)[] Inputs =
        [(2.718281828459045, 2), (2, 10), (0.5, -3), (1e300, 0.5), (12345.678, 1.5), (1, 1e10), (7, 0.3333333333333333)];

    private readonly ITestOutputHelper _out;

    public GlibcCompatShimTests(ITestOutputHelper output) => _out = output;

    /// <summary>Null when the shim can be built and run for ARCH; otherwise what is missing.</summary>
    public static string? SkipReason(string arch) =>
        ReleaseArtifacts.Which("clang") is null ? "clang is not installed: scripts/setup.sh --release"
        : !Directory.Exists(Sysroot(arch)) ? $"{Sysroot(arch)} is missing: scripts/release.sh (or scripts/release/sysroot.sh {arch}) fetches it"
        : arch == "arm64" ? ReleaseArtifacts.QemuSkipReason
        : null;

    internal static string Sysroot(string arch) => Path.Combine(ReleaseArtifacts.RepoRoot, "artifacts", $"sysroot-{arch}");

    private (string Exe, string Objdump) Build(string dir, string arch, bool shim)
    {
        string triple = arch == "amd64" ? "x86_64-linux-gnu" : "aarch64-linux-gnu";
        string src = Path.Combine(dir, "prog.c"), exe = Path.Combine(dir, $"prog-{arch}-{(shim ? "shim" : "plain")}");
        File.WriteAllText(src, Program);
        var args = new List<string> { $"--target={triple}", $"--sysroot={Sysroot(arch)}", "-fuse-ld=bfd", "-O2", "-fno-builtin", "-o", exe, src, "-lm" };
        if (shim) args.AddRange([Path.Combine(ReleaseArtifacts.RepoRoot, "scripts", "release", "glibc-compat.c"), "-Wl,--wrap=log,--wrap=pow"]);
        (int code, string output) = ReleaseArtifacts.Run("clang", [.. args]);
        Assert.True(code == 0, $"clang {string.Join(' ', args)} failed: {output}");
        return (exe, arch == "amd64" ? "objdump" : $"{triple}-objdump");
    }

    private void AssertResultsMatchThisMachinesLibm(string output)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Inputs.Length, lines.Length);
        for (int i = 0; i < Inputs.Length; i++)
        {
            string[] got = lines[i].Split(' ');
            (double x, double y) = Inputs[i];
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Log(x)), BitConverter.DoubleToInt64Bits(HexDouble(got[0])));
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Pow(x, y)), BitConverter.DoubleToInt64Bits(HexDouble(got[1])));
        }
    }

    private static string[] Args() => Inputs.SelectMany(p => new[] { p.X.ToString("R", CultureInfo.InvariantCulture), p.Y.ToString("R", CultureInfo.InvariantCulture) }).ToArray();

    /// <summary>Parses printf's %a (e.g. 0x1.62e42fefa39efp-1).</summary>
    private static double HexDouble(string s)
    {
        bool neg = s.StartsWith('-');
        if (neg) s = s[1..];
        if (s is "inf") return neg ? double.NegativeInfinity : double.PositiveInfinity;
        int p = s.IndexOf('p');
        string mant = s[2..p];
        int exp = int.Parse(s[(p + 1)..], CultureInfo.InvariantCulture);
        string[] parts = mant.Split('.');
        ulong bits = ulong.Parse(parts[0], NumberStyles.HexNumber);
        string frac = parts.Length > 1 ? parts[1] : "";
        foreach (char c in frac) bits = bits * 16 + (ulong)Convert.ToInt32(c.ToString(), 16);
        double v = Math.ScaleB(bits, exp - 4 * frac.Length);
        return neg ? -v : v;
    }

    [ShimFact("amd64")]
    public void Shim_keeps_log_and_pow_at_their_base_versions_and_their_results_right_on_x64()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("rawselect-shim-");
        try
        {
            (string plain, string objdump) = Build(dir.FullName, "amd64", shim: false);
            Assert.Equal(new Version(2, 29), ReleaseArtifacts.MaxGlibc(objdump, plain)); // what the shim is for

            (string exe, _) = Build(dir.FullName, "amd64", shim: true);
            string symbols = ReleaseArtifacts.Run(objdump, "-T", exe).Output;
            _out.WriteLine(symbols);
            Assert.Matches(@"\(GLIBC_2\.2\.5\)\s+log\n", symbols);
            Assert.Matches(@"\(GLIBC_2\.2\.5\)\s+pow\n", symbols);
            Assert.True(ReleaseArtifacts.MaxGlibc(objdump, exe) <= Version.Parse(ReleaseArtifacts.GlibcFloor));

            (int code, string output) = ReleaseArtifacts.Run(exe, Args());
            Assert.True(code == 0, output);
            AssertResultsMatchThisMachinesLibm(output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [ShimFact("arm64")]
    public void Shim_keeps_log_and_pow_at_their_base_versions_and_their_results_right_on_arm64_under_qemu()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("rawselect-shim-");
        try
        {
            (string plain, string objdump) = Build(dir.FullName, "arm64", shim: false);
            Assert.Equal(new Version(2, 29), ReleaseArtifacts.MaxGlibc(objdump, plain));

            (string exe, _) = Build(dir.FullName, "arm64", shim: true);
            string symbols = ReleaseArtifacts.Run(objdump, "-T", exe).Output;
            Assert.Matches(@"\(GLIBC_2\.17\)\s+log\n", symbols);
            Assert.Matches(@"\(GLIBC_2\.17\)\s+pow\n", symbols);
            Assert.True(ReleaseArtifacts.MaxGlibc(objdump, exe) <= Version.Parse(ReleaseArtifacts.GlibcFloor));

            (int code, string output) = ReleaseArtifacts.Run(ReleaseArtifacts.Qemu!, ["-L", Sysroot("arm64"), exe, .. Args()]);
            Assert.True(code == 0, output);
            AssertResultsMatchThisMachinesLibm(output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>Skipped with the reason when clang, the sysroot or qemu is missing; failed instead under RAWSELECT_REQUIRE_RELEASE=1.</summary>
public sealed class ShimFactAttribute : FactAttribute
{
    public ShimFactAttribute(string arch)
    {
        if (GlibcCompatShimTests.SkipReason(arch) is string why && !ReleaseArtifacts.Required) Skip = why;
    }
}
