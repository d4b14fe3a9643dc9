using System.Net;
using RawSelect.Tests.Integration;
using RawSelect.Tests.Release;
using Xunit.Abstractions;

namespace RawSelect.Tests.Container;

/// <summary>
/// The archive's arm64 manifest, taken by podman as an arm64 user's podman takes it
/// (<c>podman pull --arch arm64 oci-archive:...</c>): an arm64 image whose root file system, as
/// podman unpacked it, runs the server under qemu-user with nothing but the image's own loader
/// and libraries (<c>qemu-aarch64 -L ROOT</c>). Where binfmt_misc has qemu-aarch64 registered with
/// the F flag (as qemu-user-static does), podman also runs it as a container.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class Arm64ImageTests : IClassFixture<Arm64ImagePodman>
{
    private const string Binfmt = "/proc/sys/fs/binfmt_misc/qemu-aarch64";

    private readonly Arm64ImagePodman _podman;
    private readonly ITestOutputHelper _out;

    public Arm64ImageTests(Arm64ImagePodman podman, ITestOutputHelper output)
    {
        _podman = podman;
        _out = output;
    }

    [PodmanFact]
    public void Arm64_manifest_is_an_arm64_image_whose_root_serves_under_qemu_user()
    {
        PodmanHost host = _podman.Host;
        Assert.Equal("arm64 linux", host.Inspect(_podman.Image, "{{.Architecture}} {{.Os}}"));
        Assert.True(ReleaseArtifacts.Qemu is not null, "qemu-aarch64 is not installed: scripts/setup.sh --release (Debian's qemu-user)");

        string root = host.Ok("image", "mount", _podman.Image).Trim();
        try
        {
            string bin = Path.Combine(root, "usr/bin/rawselect");
            (int code, string version) = ReleaseArtifacts.Run(ReleaseArtifacts.Qemu!, "-L", root, bin, "--version");
            _out.WriteLine(version);
            Assert.True(code == 0, version);
            Assert.Contains("linux-arm64", version);

            using var server = ServerProcess.StartVia(ReleaseArtifacts.Qemu!, ["-L", root, bin], ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"]);
            using (var s = EchoClient.Connect(server.Tcp))
                Assert.Equal("arm64"u8.ToArray(), PodmanFixture.TcpEcho(s, "arm64"u8.ToArray()));
            byte[] d = EchoClient.Random(65507, 64);
            Assert.Equal(d, PodmanFixture.UdpEcho(server.Udp, d));
            Assert.Equal(0, server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(10)));
        }
        finally
        {
            host.Run("image", "unmount", _podman.Image);
        }

        // Podman runs a foreign image only through a binfmt_misc entry with the F flag: the kernel
        // then opens the interpreter at registration, so it need not exist inside the image.
        // Debian's qemu-user-binfmt registers without F (flags OP), which cannot run containers.
        string[] entry = File.Exists(Binfmt) ? File.ReadAllLines(Binfmt) : [];
        bool usable = entry.Contains("enabled") && entry.Any(l => l.StartsWith("flags:") && l.Contains('F'));
        if (usable)
        {
            (int code, string o, string e) = host.Run("run", "--rm", "--name", host.UniqueName("arm64"), _podman.Image, "--version");
            _out.WriteLine($"binfmt_misc has qemu-aarch64 with F: podman run of the arm64 image: exit {code}: {o}{e}");
            Assert.True(code == 0, o + e);
            Assert.Contains("linux-arm64", o);
        }
        else
        {
            string why = entry.Length > 0 ? $"{Binfmt} is there without the F flag ({string.Join("; ", entry.Where(l => l.StartsWith("flags") || l.StartsWith("interpreter") || l is "enabled" or "disabled"))})"
                : Directory.Exists("/proc/sys/fs/binfmt_misc") && Directory.EnumerateFileSystemEntries("/proc/sys/fs/binfmt_misc").Any() ? $"{Binfmt} is absent"
                : "binfmt_misc is not mounted";
            _out.WriteLine($"{why}: podman cannot run the arm64 image as a container here; its root file system was run under qemu-aarch64 -L instead");
        }
    }
}
