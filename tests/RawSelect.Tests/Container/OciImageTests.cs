using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using RawSelect.Tests.Integration;
using RawSelect.Tests.Release;
using Xunit.Abstractions;

namespace RawSelect.Tests.Container;

/// <summary>
/// The container image archive scripts/release.sh writes (rawselect-VERSION-oci.tar), checked
/// without any container runtime: an OCI image layout whose blobs match their digests, an index
/// of an amd64 and an arm64 manifest, the config the issue asks for, layers holding exactly the
/// binary, what its NEEDED entries and PT_INTERP ask for (found here with binutils' readelf, not
/// with the script's own ELF reader), passwd/group and the licences, and the same bytes when
/// built again from the same inputs.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class OciImageTests
{
    private static readonly string[] Cmd = ["--tcp", "0.0.0.0:7", "--tcp", "[::]:7", "--udp", "0.0.0.0:7", "--udp", "[::]:7"];

    private readonly ITestOutputHelper _out;

    public OciImageTests(ITestOutputHelper output) => _out = output;

    private static string ArchivePath =>
        Podman.Archive ?? throw new InvalidOperationException($"no rawselect-*-oci.tar in {ReleaseArtifacts.Dir}: scripts/release.sh writes it");

    private static string Version => Regex.Match(Path.GetFileName(ArchivePath), @"^rawselect-(.+)-oci\.tar$").Groups[1].Value;

    [ReleaseFact]
    public void Archive_is_an_image_layout_whose_index_lists_an_amd64_and_an_arm64_manifest_and_is_in_SHA256SUMS()
    {
        var oci = new OciArchive(ArchivePath);
        Assert.Equal(ReleaseArtifacts.Sums()[Path.GetFileName(ArchivePath)], ReleaseArtifacts.Sha256(ArchivePath));
        Assert.Equal("1.0.0", OciArchive.Json(oci.Read("oci-layout")).GetProperty("imageLayoutVersion").GetString());

        // Nothing but the layout, every blob named by its digest; sorted, owner 0, the commit's date.
        long created = DateTimeOffset.Parse(oci.Images["amd64"].Config.GetProperty("created").GetString()!).ToUnixTimeSeconds();
        Assert.Equal(oci.Entries.Select(e => e.Name).Order(StringComparer.Ordinal), oci.Entries.Select(e => e.Name));
        foreach (OciArchive.Entry e in oci.Entries)
        {
            Assert.True(e.Uid == 0 && e.Gid == 0 && e.MTime.ToUnixTimeSeconds() == created, $"{e.Name}: {e.Uid}:{e.Gid} {e.MTime}");
            Assert.True(e.Name is "oci-layout" or "index.json" or "blobs" or "blobs/sha256" || e.Name.StartsWith("blobs/sha256/"), e.Name);
            if (e.Name.StartsWith("blobs/sha256/"))
                Assert.Equal(e.Name["blobs/sha256/".Length..], Convert.ToHexStringLower(SHA256.HashData(e.Data)));
        }

        Assert.Equal(2, oci.Index.GetProperty("schemaVersion").GetInt32());
        JsonElement top = Assert.Single(oci.Index.GetProperty("manifests").EnumerateArray());
        Assert.Equal("application/vnd.oci.image.index.v1+json", top.GetProperty("mediaType").GetString());
        Assert.Equal($"rawselect:{Version}", top.GetProperty("annotations").GetProperty("org.opencontainers.image.ref.name").GetString());

        Assert.Equal(["amd64", "arm64"], oci.Images.Keys.Order());
        foreach (OciArchive.Image image in oci.Images.Values)
        {
            Assert.Equal("linux", image.Platform.GetProperty("os").GetString());
            Assert.Equal("application/vnd.oci.image.manifest.v1+json", image.Manifest.GetProperty("mediaType").GetString());
            Assert.Equal("application/vnd.oci.image.config.v1+json", image.Manifest.GetProperty("config").GetProperty("mediaType").GetString());
            JsonElement layer = Assert.Single(image.Manifest.GetProperty("layers").EnumerateArray());
            Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", layer.GetProperty("mediaType").GetString());
            // The config names the uncompressed layer (diff_id); gzip's header carries no name and no time.
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(image.LayerTar)),
                Assert.Single(image.Config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray()).GetString());
            Assert.Equal(new byte[] { 0x1f, 0x8b, 8 }, image.LayerGzip[..3]);
            Assert.Equal(0, image.LayerGzip[3] & 0x08); // FNAME
            Assert.Equal(0, BitConverter.ToInt32(image.LayerGzip, 4)); // MTIME
            _out.WriteLine($"{image.Architecture}: manifest {image.ManifestDigest}; layer {image.LayerGzip.Length} bytes gzip, {image.LayerTar.Length} bytes tar");
        }
        _out.WriteLine($"{Path.GetFileName(ArchivePath)}: {new FileInfo(ArchivePath).Length} bytes, sha256 {ReleaseArtifacts.Sha256(ArchivePath)}, image index {top.GetProperty("digest").GetString()}");
    }

    [ReleaseFact]
    public void Config_runs_rawselect_as_nobody_on_port_7_for_every_address_with_the_labels()
    {
        var oci = new OciArchive(ArchivePath);
        foreach (OciArchive.Image image in oci.Images.Values)
        {
            JsonElement c = image.Config;
            Assert.Equal(image.Architecture, c.GetProperty("architecture").GetString());
            Assert.Equal("linux", c.GetProperty("os").GetString());
            JsonElement run = c.GetProperty("config");
            Assert.Equal("65534:65534", run.GetProperty("User").GetString());
            Assert.Equal(["/usr/bin/rawselect"], run.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(Cmd, run.GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["7/tcp", "7/udp"], run.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order());

            Dictionary<string, string> labels = run.GetProperty("Labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            Assert.Equal(Version, labels["org.opencontainers.image.version"]);
            string revision = labels["org.opencontainers.image.revision"];
            Assert.Matches("^[0-9a-f]{40}(-dirty)?$", revision);
            Assert.False(string.IsNullOrEmpty(labels["org.opencontainers.image.source"]));
            Assert.Contains("MIT", labels["org.opencontainers.image.licenses"]);
            // created is the commit's date, not the build's: what makes two builds the same bytes.
            (int code, string epoch) = ReleaseArtifacts.Run("git", "-C", ReleaseArtifacts.RepoRoot, "show", "-s", "--format=%ct", revision.Replace("-dirty", ""));
            Assert.True(code == 0, epoch);
            string created = DateTimeOffset.FromUnixTimeSeconds(long.Parse(epoch.Trim())).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ");
            Assert.Equal(created, labels["org.opencontainers.image.created"]);
            Assert.Equal(created, c.GetProperty("created").GetString());
            _out.WriteLine($"{image.Architecture}: {string.Join(", ", labels.Select(kv => $"{kv.Key}={kv.Value}"))}");

            // The binary inside is the release's, built from the same commit.
            byte[] bin = Layer(image).Single(e => e.Name == "usr/bin/rawselect").Data;
            string released = image.Architecture == "amd64" ? ReleaseArtifacts.LinuxX64Binary : ReleaseArtifacts.LinuxArm64Binary;
            Assert.Equal(File.ReadAllBytes(released), bin);
            if (image.Architecture == "amd64")
                Assert.Contains($"(commit {revision[..12]}", ReleaseArtifacts.Run(released, "--version").Output);
        }
    }

    [ReleaseTheory]
    [InlineData("amd64", "x86_64-linux-gnu", "X86-64")]
    [InlineData("arm64", "aarch64-linux-gnu", "AArch64")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Layer_holds_the_binary_exactly_the_libraries_and_loader_it_asks_for_passwd_group_and_the_licences(string arch, string triple, string machine)
    {
        var oci = new OciArchive(ArchivePath);
        OciArchive.Image image = oci.Images[arch];
        List<OciArchive.Entry> entries = Layer(image);
        long epoch = DateTimeOffset.Parse(image.Config.GetProperty("created").GetString()!).ToUnixTimeSeconds();
        foreach (OciArchive.Entry e in entries)
        {
            Assert.True(e.Uid == 0 && e.Gid == 0, $"{e.Name}: owner {e.Uid}:{e.Gid}");
            Assert.Equal(epoch, e.MTime.ToUnixTimeSeconds());
        }
        Assert.Equal(entries.Select(e => e.Name).Order(StringComparer.Ordinal), entries.Select(e => e.Name)); // sorted

        DirectoryInfo root = Directory.CreateTempSubdirectory("rawselect-layer-");
        try
        {
            string tarFile = root.FullName + ".tar";
            File.WriteAllBytes(tarFile, image.LayerTar);
            (int code, string output) = ReleaseArtifacts.Run("tar", "-xf", tarFile, "-C", root.FullName);
            File.Delete(tarFile);
            Assert.True(code == 0, output);

            // What the loader will open, found with readelf from the binary down.
            var expected = new SortedSet<string>(StringComparer.Ordinal) { "usr/bin/rawselect" };
            string interp = Regex.Match(Readelf("-l", Path.Combine(root.FullName, "usr/bin/rawselect")),
                @"Requesting program interpreter: (\S+)\]").Groups[1].Value;
            Assert.StartsWith("/", interp);
            string loader = Follow(root.FullName, interp.TrimStart('/'), expected);
            _out.WriteLine($"{arch}: PT_INTERP {interp} -> {loader}");
            var pending = new Queue<string>(Needed(Path.Combine(root.FullName, "usr/bin/rawselect")));
            var done = new HashSet<string>();
            string[] search = [$"lib/{triple}", $"usr/lib/{triple}", "lib", "usr/lib"];
            while (pending.TryDequeue(out string? name))
            {
                if (!done.Add(name)) continue;
                string? dir = search.FirstOrDefault(d => Path.Exists(Path.Combine(root.FullName, d, name)) ||
                                                        new FileInfo(Path.Combine(root.FullName, d, name)).LinkTarget is not null);
                Assert.True(dir is not null, $"{arch}: {name} is NEEDED but not in the layer's {string.Join(", ", search)}");
                string real = Follow(root.FullName, $"{dir}/{name}", expected);
                string header = Readelf("-h", Path.Combine(root.FullName, real));
                Assert.Contains(machine, header);
                _out.WriteLine($"{arch}: NEEDED {name} -> {real}");
                foreach (string n in Needed(Path.Combine(root.FullName, real))) pending.Enqueue(n);
            }
            expected.UnionWith(["etc/passwd", "etc/group", "usr/share/doc/libc6/copyright", "usr/share/doc/rawselect/LICENSE"]);

            string[] actual = entries.Where(e => e.Type != TarEntryType.Directory).Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(expected.ToArray(), actual);
            Assert.DoesNotContain(entries, e => Path.GetFileName(e.Name) is "sh" or "bash" or "busybox");

            Assert.Contains("\nnobody:x:65534:65534:", "\n" + File.ReadAllText(Path.Combine(root.FullName, "etc/passwd")));
            Assert.Contains("\nnobody:x:65534:", "\n" + File.ReadAllText(Path.Combine(root.FullName, "etc/group")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(ReleaseArtifacts.RepoRoot, "LICENSE")),
                File.ReadAllBytes(Path.Combine(root.FullName, "usr/share/doc/rawselect/LICENSE")));
            // glibc's own copyright file, from the sysroot the binary was linked against.
            Assert.Equal(File.ReadAllBytes(Path.Combine(ReleaseArtifacts.RepoRoot, $"artifacts/sysroot-{arch}/usr/share/doc/libc6/copyright")),
                File.ReadAllBytes(Path.Combine(root.FullName, "usr/share/doc/libc6/copyright")));
            Assert.Contains("Lesser General Public", File.ReadAllText(Path.Combine(root.FullName, "usr/share/doc/libc6/copyright")));
            Assert.True(File.GetUnixFileMode(Path.Combine(root.FullName, "usr/bin/rawselect")).HasFlag(UnixFileMode.OtherExecute));

            long files = entries.Where(e => e.Type == TarEntryType.RegularFile).Sum(e => (long)e.Data.Length);
            _out.WriteLine($"{arch}: {actual.Length} entries, {files} bytes unpacked ({files / 1048576.0:0.00} MiB), " +
                           $"layer {image.LayerGzip.Length} bytes compressed ({image.LayerGzip.Length / 1048576.0:0.00} MiB)");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [ReleaseFact]
    public void Building_again_from_the_same_inputs_gives_the_same_bytes()
    {
        var oci = new OciArchive(ArchivePath);
        Dictionary<string, string> labels = oci.Images["amd64"].Config.GetProperty("config").GetProperty("Labels")
            .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        long created = DateTimeOffset.Parse(labels["org.opencontainers.image.created"]).ToUnixTimeSeconds();
        string again = Path.Combine(Path.GetTempPath(), $"rawselect-oci-again-{Environment.ProcessId}.tar");
        try
        {
            (int code, string output) = ReleaseArtifacts.Run(TimeSpan.FromSeconds(120), "python3",
                Path.Combine(ReleaseArtifacts.RepoRoot, "scripts/release/oci-image.py"),
                "--version", labels["org.opencontainers.image.version"], "--revision", labels["org.opencontainers.image.revision"],
                "--created", created.ToString(), "--source", labels["org.opencontainers.image.source"],
                "--license", Path.Combine(ReleaseArtifacts.RepoRoot, "LICENSE"),
                "--platform", "amd64", ReleaseArtifacts.LinuxX64Binary, Path.Combine(ReleaseArtifacts.RepoRoot, "artifacts/sysroot-amd64"),
                "--platform", "arm64", ReleaseArtifacts.LinuxArm64Binary, ReleaseArtifacts.Arm64Sysroot,
                "--out", again);
            _out.WriteLine(output);
            Assert.True(code == 0, output);
            Assert.Equal(ReleaseArtifacts.Sha256(ArchivePath), ReleaseArtifacts.Sha256(again));
        }
        finally
        {
            File.Delete(again);
        }
    }

    [ReleaseFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_script_refuses_a_binary_of_another_architecture_and_a_sysroot_without_a_needed_library()
    {
        string sysroot = Path.Combine(ReleaseArtifacts.RepoRoot, "artifacts/sysroot-amd64");
        string out1 = Path.Combine(Path.GetTempPath(), $"rawselect-oci-bad-{Environment.ProcessId}.tar");
        (int Code, string Output) Build(string binary, string root) => ReleaseArtifacts.Run(TimeSpan.FromSeconds(60), "python3",
            Path.Combine(ReleaseArtifacts.RepoRoot, "scripts/release/oci-image.py"), "--version", "0.0.0", "--revision", "x",
            "--created", "0", "--source", "x", "--license", Path.Combine(ReleaseArtifacts.RepoRoot, "LICENSE"),
            "--platform", "amd64", binary, root, "--out", out1);

        (int code, string output) = Build(ReleaseArtifacts.LinuxArm64Binary, sysroot);
        _out.WriteLine(output);
        Assert.Equal(1, code);
        Assert.Matches(@"\Aoci-image: \S+ is ELF machine 183, not amd64's 62
\z", output);

        // A sysroot holding the loader and nothing else.
        DirectoryInfo bare = Directory.CreateTempSubdirectory("rawselect-bare-sysroot-");
        try
        {
            Directory.CreateDirectory(Path.Combine(bare.FullName, "lib64"));
            Directory.CreateDirectory(Path.Combine(bare.FullName, "lib/x86_64-linux-gnu"));
            File.Copy(Path.Combine(sysroot, "lib/x86_64-linux-gnu/ld-2.31.so"), Path.Combine(bare.FullName, "lib/x86_64-linux-gnu/ld-2.31.so"));
            File.CreateSymbolicLink(Path.Combine(bare.FullName, "lib64/ld-linux-x86-64.so.2"), "../lib/x86_64-linux-gnu/ld-2.31.so");
            (code, output) = Build(ReleaseArtifacts.LinuxX64Binary, bare.FullName);
            _out.WriteLine(output);
            Assert.Equal(1, code);
            Assert.Matches(@"\Aoci-image: lib\S+ \(needed by the amd64 binary\) is in none of .* under \S+
\z", output);
            Assert.False(File.Exists(out1), "a failed build left an archive behind");
        }
        finally
        {
            bare.Delete(recursive: true);
            File.Delete(out1);
        }
    }

    internal static List<OciArchive.Entry> Layer(OciArchive.Image image) => OciArchive.ReadTar(new MemoryStream(image.LayerTar));

    /// <summary>Adds PATH and every symlink on the way to the file it ends at (each relative, each inside ROOT); returns that file.</summary>
    private static string Follow(string root, string path, ISet<string> into)
    {
        for (int hops = 0; hops < 10; hops++)
        {
            into.Add(path);
            string? target = new FileInfo(Path.Combine(root, path)).LinkTarget;
            if (target is null)
            {
                Assert.True(File.Exists(Path.Combine(root, path)), $"{path} is missing from the layer");
                return path;
            }
            Assert.False(Path.IsPathRooted(target), $"{path} -> {target}: an absolute link would leave the image's root on the host");
            path = Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(root, Path.GetDirectoryName(path)!, target)));
            Assert.False(path.StartsWith(".."), $"{path} leaves the image");
        }
        throw new InvalidOperationException($"symlink loop at {path}");
    }

    private static IEnumerable<string> Needed(string file) =>
        Regex.Matches(Readelf("-d", file), @"\(NEEDED\)\s+Shared library: \[([^\]]+)\]").Select(m => m.Groups[1].Value).ToList();

    private static string Readelf(string option, string file)
    {
        (int code, string output) = ReleaseArtifacts.Run("readelf", "-W", option, file);
        Assert.True(code == 0, $"readelf {option} {file}: {output}");
        return output;
    }
}
