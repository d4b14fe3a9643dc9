using System.IO.Compression;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using RawSelect.Tests.Release;
using Xunit.Abstractions;

namespace RawSelect.Tests.Packaging;

/// <summary>
/// The release's .deb and .rpm, read as dpkg and rpm read them: their fields, their files (the
/// archive's very binary, the units with ExecStart=/usr/bin/rawselect, the page, the Debian
/// copyright and changelog), lintian and rpmlint, an RPM installed into and erased from an empty
/// root, and both rebuilt from the archive's binary to the same bytes. What the packages do
/// under a running systemd is SystemdNspawnTests.
/// </summary>
[Collection(IntegrationCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PackageTests
{
    private static readonly string[] PackageFiles =
    [
        "/usr/bin/rawselect",
        "/usr/lib/systemd/system/rawselect.service",
        "/usr/lib/systemd/system/rawselect.socket",
        "/usr/share/man/man8/rawselect.8.gz",
        "/usr/share/doc/rawselect/README.md",
    ];

    private readonly ITestOutputHelper _out;

    public PackageTests(ITestOutputHelper output) => _out = output;

    private static string Version => PackagingTools.ProjectVersion;

    private static string ArchiveBinary(string rid) => rid == "linux-x64" ? ReleaseArtifacts.LinuxX64Binary : ReleaseArtifacts.LinuxArm64Binary;

    [PackageFact("dpkg-deb")]
    public void Deb_packages_carry_their_fields_and_the_files_the_issue_lists()
    {
        foreach ((string arch, string rid) in new[] { ("amd64", "linux-x64"), ("arm64", "linux-arm64") })
        {
            string deb = PackagingTools.Deb(arch);
            string Field(string name) => Must("dpkg-deb", "-f", deb, name).Trim();
            Assert.Equal("rawselect", Field("Package"));
            Assert.Equal(Version, Field("Version"));
            Assert.Equal(arch, Field("Architecture"));
            Assert.Equal("libc6 (>= 2.17)", Field("Depends"));

            string listing = Must("dpkg-deb", "-c", deb);
            _out.WriteLine($"{Path.GetFileName(deb)}:\n{listing}");
            string[] files = Regex.Matches(listing, @"^-\S+ (\S+) +\d+ \S+ \S+ \./(\S+)$", RegexOptions.Multiline)
                .Select(m => "/" + m.Groups[2].Value).Order().ToArray();
            Assert.Equal(PackageFiles.Concat(["/usr/share/doc/rawselect/changelog.gz", "/usr/share/doc/rawselect/copyright"]).Order(), files);
            Assert.DoesNotMatch(new Regex(@"^\S+ (?!root/root )", RegexOptions.Multiline), listing); // every entry root/root

            DirectoryInfo tmp = Directory.CreateTempSubdirectory("rawselect-deb-");
            try
            {
                Must("dpkg-deb", "-x", deb, tmp.FullName);
                Must("dpkg-deb", "-e", deb, Path.Combine(tmp.FullName, "DEBIAN"));
                AssertSharedFiles(tmp.FullName, rid);
                string doc = Path.Combine(tmp.FullName, "usr/share/doc/rawselect");
                string copyright = File.ReadAllText(Path.Combine(doc, "copyright"));
                Assert.StartsWith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", copyright);
                Assert.Contains("License: Expat\n Permission is hereby granted", copyright);
                Assert.StartsWith($"rawselect ({Version}) ", Gunzip(Path.Combine(doc, "changelog.gz")));
                // md5sums names every file, with its digest.
                (int code, string check) = ReleaseArtifacts.Run("sh", "-c", $"cd '{tmp.FullName}' && md5sum -c DEBIAN/md5sums");
                Assert.True(code == 0, check);
                Assert.Equal(files.Length, check.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
                foreach (string script in new[] { "postinst", "prerm", "postrm" })
                {
                    string path = Path.Combine(tmp.FullName, "DEBIAN", script);
                    Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), $"{script} is not executable");
                    Must("sh", "-n", path);
                }
                // Installing enables and starts nothing: the only actions are daemon-reload and a
                // try-restart that runs only on upgrade ($2 set) and only if the service runs.
                string postinst = File.ReadAllText(Path.Combine(tmp.FullName, "DEBIAN", "postinst"));
                Assert.DoesNotMatch(new Regex(@"deb-systemd-invoke\s+(start|restart)\b"), postinst);
                Assert.Contains("deb-systemd-invoke try-restart rawselect.service", postinst);
            }
            finally
            {
                tmp.Delete(recursive: true);
            }
        }
    }

    [PackageFact("lintian")]
    public void Lintian_finds_no_error_and_no_warning()
    {
        foreach (string arch in new[] { "amd64", "arm64" })
        {
            string deb = PackagingTools.Deb(arch);
            (int code, string output) = ReleaseArtifacts.Run(TimeSpan.FromSeconds(180), "lintian",
                "--display-level", ">=pedantic", "--display-experimental", "--show-overrides", deb);
            string tags = string.Join('\n', output.Split('\n').Where(l => Regex.IsMatch(l, "^[EWIPXO]: ")));
            _out.WriteLine($"lintian {Path.GetFileName(deb)}: exit {code}\n{(tags.Length == 0 ? "(no tags)" : tags)}");
            Assert.True(code == 0, $"lintian exited {code}: {output}");
            Assert.DoesNotMatch(new Regex("^[EW]: ", RegexOptions.Multiline), output);
        }
    }

    [PackageFact("rpm", "rpm2cpio", "cpio")]
    public void Rpm_packages_carry_their_fields_scriptlets_and_files()
    {
        foreach ((string arch, string rid) in new[] { ("x86_64", "linux-x64"), ("aarch64", "linux-arm64") })
        {
            string rpm = PackagingTools.Rpm(arch);
            _out.WriteLine(Must("rpm", "-qip", rpm));
            Assert.Equal($"rawselect {Version} 1 {arch} MIT gzip", Must("rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE} %{PAYLOADCOMPRESSOR}", rpm));
            string requires = Must("rpm", "-qp", "--requires", rpm);
            _out.WriteLine($"requires:\n{requires}");
            Assert.Contains("glibc >= 2.17", requires.Split('\n'));
            string list = Must("rpm", "-qlp", rpm);
            // The files, and the two directories that are the package's own (erase removes them).
            Assert.Equal(PackageFiles.Concat(["/usr/share/licenses/rawselect/LICENSE", "/usr/share/doc/rawselect", "/usr/share/licenses/rawselect"]).Order(),
                list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
            string scripts = Must("rpm", "-qp", "--scripts", rpm);
            _out.WriteLine(scripts);
            // Install presets (which enable nothing here), erase disables and stops, upgrade restarts only what runs.
            Assert.Matches(new Regex(@"postinstall scriptlet[^\n]*\n(.*\n)*?.*systemctl --no-reload preset rawselect\.socket rawselect\.service"), scripts);
            Assert.Matches(new Regex(@"preuninstall scriptlet[^\n]*\n(.*\n)*?.*systemctl --no-reload disable rawselect\.socket rawselect\.service"), scripts);
            Assert.Contains("systemctl try-restart rawselect.service", scripts);
            Assert.DoesNotMatch(new Regex(@"systemctl (--no-reload )?(enable|start)\b"), scripts);

            DirectoryInfo tmp = Directory.CreateTempSubdirectory("rawselect-rpm-");
            try
            {
                Must("sh", "-c", $"cd '{tmp.FullName}' && rpm2cpio '{rpm}' | cpio -idm --quiet");
                AssertSharedFiles(tmp.FullName, rid);
                Assert.Equal(File.ReadAllText(Path.Combine(ReleaseArtifacts.RepoRoot, "LICENSE")),
                    File.ReadAllText(Path.Combine(tmp.FullName, "usr/share/licenses/rawselect/LICENSE")));
            }
            finally
            {
                tmp.Delete(recursive: true);
            }
        }
    }

    [PackageFact("rpmlint")]
    public void Rpmlint_finds_no_error()
    {
        foreach (string arch in new[] { "x86_64", "aarch64" })
        {
            (int code, string output) = ReleaseArtifacts.Run(TimeSpan.FromSeconds(120), "rpmlint", "-c",
                Path.Combine(ReleaseArtifacts.RepoRoot, "scripts", "release", "rpm", "rpmlint.toml"), PackagingTools.Rpm(arch));
            _out.WriteLine($"rpmlint {arch}: exit {code}\n{output}");
            Assert.Matches(new Regex(@" 0 errors, \d+ warnings"), output);
            Assert.True(code == 0, $"rpmlint exited {code}");
        }
    }

    /// <summary>
    /// rpm itself installs and erases the package in an empty root. The root has no /bin/sh and no
    /// glibc: --noscripts (the scriptlets are checked above and are plain sh) and --nodeps.
    /// </summary>
    [PackageFact("rpm")]
    public void Rpm_installs_into_an_empty_root_and_erases_without_a_trace()
    {
        foreach (string arch in new[] { "x86_64", "aarch64" })
        {
            DirectoryInfo root = Directory.CreateTempSubdirectory("rawselect-rpmroot-");
            try
            {
                Must("rpm", "--root", root.FullName, "--initdb");
                Must("rpm", "--root", root.FullName, "-i", "--nodeps", "--noscripts", "--ignorearch", PackagingTools.Rpm(arch));
                Assert.Equal($"rawselect-{Version}-1.{arch}", Must("rpm", "--root", root.FullName, "-q", "rawselect").Trim());
                foreach (string f in PackageFiles) Assert.True(File.Exists(root.FullName + f), $"{f} not installed");
                Assert.True(File.GetUnixFileMode(root.FullName + "/usr/bin/rawselect").HasFlag(UnixFileMode.OtherExecute));
                Must("rpm", "--root", root.FullName, "-V", "--nodeps", "rawselect"); // every file as the package says
                Must("rpm", "--root", root.FullName, "-e", "--noscripts", "rawselect");
                string[] left = Directory.GetFiles(Path.Combine(root.FullName, "usr"), "*", SearchOption.AllDirectories)
                    .Concat(Directory.GetDirectories(Path.Combine(root.FullName, "usr"), "*rawselect*", SearchOption.AllDirectories)).ToArray();
                _out.WriteLine($"{arch}: installed {PackageFiles.Length + 1} files into an empty root, erased; left under usr/: {(left.Length == 0 ? "nothing" : string.Join(' ', left))}");
                Assert.Empty(left);
            }
            finally
            {
                root.Delete(recursive: true);
            }
        }
    }

    /// <summary>
    /// deb.sh and rpm.sh, run again on the archive's binary with the release's date, give the
    /// release's bytes: the packaging adds nothing of the moment or the machine.
    /// </summary>
    [PackageFact("dpkg-deb", "rpmbuild")]
    public void Packages_rebuilt_from_the_archive_binaries_are_the_same_bytes()
    {
        // The release's SOURCE_DATE_EPOCH, as the RPM recorded it for its build time.
        string epoch = Must("rpm", "-qp", "--qf", "%{BUILDTIME}", PackagingTools.Rpm("x86_64")).Trim();
        DirectoryInfo tmp = Directory.CreateTempSubdirectory("rawselect-repack-");
        try
        {
            foreach ((string script, string arch, string rid, string released) in new[]
                     {
                         ("deb.sh", "amd64", "linux-x64", PackagingTools.Deb("amd64")),
                         ("deb.sh", "arm64", "linux-arm64", PackagingTools.Deb("arm64")),
                         ("rpm.sh", "x86_64", "linux-x64", PackagingTools.Rpm("x86_64")),
                         ("rpm.sh", "aarch64", "linux-arm64", PackagingTools.Rpm("aarch64")),
                     })
            {
                Must("env", $"SOURCE_DATE_EPOCH={epoch}", Path.Combine(ReleaseArtifacts.RepoRoot, "scripts", "release", script),
                    ArchiveBinary(rid), Version, arch, tmp.FullName);
                string again = Path.Combine(tmp.FullName, Path.GetFileName(released));
                _out.WriteLine($"{Path.GetFileName(released)}: {ReleaseArtifacts.Sha256(released)} released, {ReleaseArtifacts.Sha256(again)} rebuilt");
                Assert.Equal(ReleaseArtifacts.Sha256(released), ReleaseArtifacts.Sha256(again));
            }
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }

    /// <summary>The files both package kinds share, unpacked under root, against the archive and the repository.</summary>
    private static void AssertSharedFiles(string root, string rid)
    {
        Assert.Equal(File.ReadAllBytes(ArchiveBinary(rid)), File.ReadAllBytes(Path.Combine(root, "usr/bin/rawselect")));
        string repo = ReleaseArtifacts.RepoRoot;
        string service = File.ReadAllText(Path.Combine(root, "usr/lib/systemd/system/rawselect.service"));
        Assert.Equal(File.ReadAllText(Path.Combine(repo, "scripts/systemd/rawselect.service"))
                .Replace("\nExecStart=/usr/local/bin/rawselect\n", "\nExecStart=/usr/bin/rawselect\n"), service);
        Assert.Contains("\nExecStart=/usr/bin/rawselect\n", service);
        Assert.Contains("\nLimitNOFILE=65536\n", service);
        Assert.Equal(File.ReadAllText(Path.Combine(repo, "scripts/systemd/rawselect.socket")),
            File.ReadAllText(Path.Combine(root, "usr/lib/systemd/system/rawselect.socket")));
        Assert.Equal(File.ReadAllText(PackagingTools.ManPage), Gunzip(Path.Combine(root, "usr/share/man/man8/rawselect.8.gz")));
        Assert.Equal(File.ReadAllText(Path.Combine(repo, "README.md")), File.ReadAllText(Path.Combine(root, "usr/share/doc/rawselect/README.md")));
    }

    private static string Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var r = new StreamReader(gz);
        return r.ReadToEnd();
    }

    private static string Must(string file, params string[] args)
    {
        (int code, string output) = ReleaseArtifacts.Run(TimeSpan.FromSeconds(120), file, args);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }
}
