using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using Xunit.Abstractions;

namespace RawSelect.Tests.Release;

/// <summary>
/// What a user downloads: each archive matches SHA256SUMS, unpacks (in an empty directory, as a
/// user would) into one rawselect-VERSION-TARGET/ directory holding the binary, README.md and
/// LICENSE (on Linux also the man page and the units), and the binary's --version names its target and, on Linux, the glibc floor
/// (the arm64 one run under qemu-aarch64).
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ArchiveTests
{
    private readonly ITestOutputHelper _out;

    public ArchiveTests(ITestOutputHelper output) => _out = output;

    [ReleaseFact]
    public void SHA256SUMS_lists_every_release_file_with_its_digest()
    {
        Dictionary<string, string> sums = ReleaseArtifacts.Sums();
        string[] archives = Directory.GetFiles(ReleaseArtifacts.Dir).Select(Path.GetFileName).Where(n => n != "SHA256SUMS").Order().ToArray()!;
        Assert.Equal(archives, sums.Keys.Order().ToArray());
        // The three archives, the four packages and the container image at least.
        string v = Packaging.PackagingTools.ProjectVersion;
        foreach (string expected in new[]
                 {
                     $"rawselect-{v}-linux-x64.tar.gz", $"rawselect-{v}-linux-arm64.tar.gz", $"rawselect-{v}-win-x64.zip",
                     $"rawselect_{v}_amd64.deb", $"rawselect_{v}_arm64.deb", $"rawselect-{v}-1.x86_64.rpm", $"rawselect-{v}-1.aarch64.rpm", $"rawselect-{v}-oci.tar",
                 })
            Assert.Contains(expected, archives);
        foreach ((string name, string digest) in sums)
        {
            _out.WriteLine($"{digest}  {name}  ({new FileInfo(Path.Combine(ReleaseArtifacts.Dir, name)).Length} bytes)");
            Assert.Equal(digest, ReleaseArtifacts.Sha256(Path.Combine(ReleaseArtifacts.Dir, name)));
        }
    }

    [ReleaseTheory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    [InlineData("win-x64")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Archive_unpacks_to_the_binary_readme_and_licence_and_matches_SHA256SUMS(string target)
    {
        string archive = ReleaseArtifacts.Archive(target)!;
        string name = Path.GetFileName(archive);
        Assert.Equal(ReleaseArtifacts.Sums()[name], ReleaseArtifacts.Sha256(archive));
        Match m = Regex.Match(name, @"^rawselect-(\d+\.\d+\.\d+)-" + Regex.Escape(target) + @"\.(tar\.gz|zip)$");
        Assert.True(m.Success, name);

        DirectoryInfo tmp = Directory.CreateTempSubdirectory("rawselect-archive-");
        try
        {
            ReleaseArtifacts.Unpack(archive, tmp.FullName);
            string top = Assert.Single(Directory.GetDirectories(tmp.FullName));
            Assert.Empty(Directory.GetFiles(tmp.FullName)); // one directory, nothing strewn beside it
            Assert.Equal($"rawselect-{m.Groups[1].Value}-{target}", Path.GetFileName(top));
            string exe = target.StartsWith("win") ? "rawselect.exe" : "rawselect";
            foreach (string f in new[] { exe, "README.md", "LICENSE" })
                Assert.True(File.Exists(Path.Combine(top, f)), $"{name} lacks {f}");
            Assert.Equal(File.ReadAllText(Path.Combine(ReleaseArtifacts.RepoRoot, "LICENSE")), File.ReadAllText(Path.Combine(top, "LICENSE")));
            Assert.Contains("MIT License", File.ReadAllText(Path.Combine(top, "LICENSE")));
            byte[] head = File.ReadAllBytes(Path.Combine(top, exe))[..4];
            if (target.StartsWith("win"))
            {
                Assert.Equal((byte)'M', head[0]); // a PE file
                Assert.Equal((byte)'Z', head[1]);
            }
            else
            {
                Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, head);
                Assert.True(File.GetUnixFileMode(Path.Combine(top, exe)).HasFlag(UnixFileMode.UserExecute), "rawselect is not executable");
                Assert.Equal(File.ReadAllText(Path.Combine(ReleaseArtifacts.RepoRoot, "man", "rawselect.8")), File.ReadAllText(Path.Combine(top, "rawselect.8")));
                if (Directory.Exists(Path.Combine(ReleaseArtifacts.RepoRoot, "scripts", "systemd")))
                    foreach (string unit in Directory.GetFiles(Path.Combine(ReleaseArtifacts.RepoRoot, "scripts", "systemd")))
                        Assert.True(File.Exists(Path.Combine(top, "systemd", Path.GetFileName(unit))), $"{name} lacks systemd/{Path.GetFileName(unit)}");
            }
            _out.WriteLine($"{name}: {string.Join(' ', Directory.GetFiles(top, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(top, f)).Order())}");
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }

    [ReleaseFact]
    public void Linux_x64_binary_reports_its_version_target_and_glibc_floor() =>
        AssertVersionLine(ServerProcessRun(ReleaseArtifacts.LinuxX64Binary), "linux-x64");

    [QemuReleaseFact]
    public void Linux_arm64_binary_under_qemu_reports_its_version_target_and_glibc_floor() =>
        AssertVersionLine(ServerProcessRun(ReleaseArtifacts.Qemu!, "-L", ReleaseArtifacts.Arm64Sysroot, ReleaseArtifacts.LinuxArm64Binary), "linux-arm64");

    [ReleaseTheory]
    [InlineData("linux-x64", "objdump")]
    [InlineData("linux-arm64", "aarch64-linux-gnu-objdump")]
    public void Linux_binary_asks_for_no_glibc_symbol_version_above_the_floor(string target, string objdump)
    {
        string bin = target == "linux-x64" ? ReleaseArtifacts.LinuxX64Binary : ReleaseArtifacts.LinuxArm64Binary;
        Assert.True(ReleaseArtifacts.Which(objdump) is not null, $"{objdump} is not installed: scripts/setup.sh --release");
        Version max = ReleaseArtifacts.MaxGlibc(objdump, bin);
        _out.WriteLine($"{target}: objdump -T ... | sort -uV | tail -1 -> GLIBC_{max}");
        Assert.True(max <= Version.Parse(ReleaseArtifacts.GlibcFloor), $"{target} asks for GLIBC_{max}, above the floor {ReleaseArtifacts.GlibcFloor}");
    }

    private static string ServerProcessRun(string file, params string[] args)
    {
        (int code, string output) = ReleaseArtifacts.Run(file, [.. args, "--version"]);
        Assert.True(code == 0, $"--version exited {code}: {output}");
        return output;
    }

    private void AssertVersionLine(string output, string target)
    {
        _out.WriteLine(output);
        Assert.Matches(new Regex(@"\Arawselect " + Regex.Escape(Packaging.PackagingTools.ProjectVersion) + @" \(commit [0-9a-f]{12}(-dirty)?, " + Regex.Escape(target) +
                                 @", glibc >= " + Regex.Escape(ReleaseArtifacts.GlibcFloor) + @"\)\n\z"), output);
    }
}
