using System.Diagnostics;
using System.Net.Sockets;
using RawSelect.Tests.Integration;
using Xunit.Abstractions;

namespace RawSelect.Tests.Release;

/// <summary>
/// The release linux-x64 binary on an old glibc, for real: a chroot holding nothing but Debian
/// bullseye's libc6 package (glibc 2.31, unpacked from its .deb by scripts/release/sysroot.sh)
/// and the binary from the archive. It serves TCP and UDP there and exits 0 on SIGTERM. The
/// everyday build, linked against this machine's glibc, must fail to start in the same chroot:
/// that shows the chroot really holds the old glibc and that the test would catch a binary
/// that needs a newer one.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class OldGlibcChrootTests
{
    private readonly ITestOutputHelper _out;

    public OldGlibcChrootTests(ITestOutputHelper output) => _out = output;

    /// <summary>artifacts/release-tests/chroot-bullseye-libc6: libc6 alone, cached across runs (the binaries are copied in per test).</summary>
    private static string BullseyeLibcRoot()
    {
        string dir = Path.Combine(ReleaseArtifacts.RepoRoot, "artifacts", "release-tests", "chroot-bullseye-libc6");
        var psi = new ProcessStartInfo(Path.Combine(ReleaseArtifacts.RepoRoot, "scripts", "release", "sysroot.sh"))
        { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("amd64");
        psi.ArgumentList.Add("libc6");
        psi.Environment["RAWSELECT_SYSROOT_DIR"] = dir;
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string o = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(180_000), "sysroot.sh amd64 libc6 did not finish");
        Assert.True(p.ExitCode == 0, $"sysroot.sh amd64 libc6 failed: {o}{err.Result}");
        // Only libc6: its libc is 2.31, and no other package is there to lend a newer one.
        Assert.True(File.Exists(Path.Combine(dir, "lib", "x86_64-linux-gnu", "libc-2.31.so")), "bullseye's libc-2.31.so is not in the chroot");
        Assert.False(Directory.Exists(Path.Combine(dir, "usr", "include")), "the chroot holds more than libc6");
        return dir;
    }

    [RootReleaseFact]
    public async Task Release_binary_serves_tcp_and_udp_on_bullseye_glibc_2_31_and_exits_0_on_SIGTERM()
    {
        var sw = Stopwatch.StartNew();
        string root = BullseyeLibcRoot();
        string inside = Path.Combine(root, "rawselect");
        File.Copy(ReleaseArtifacts.LinuxX64Binary, inside, overwrite: true);
        try
        {
            using var server = ServerProcess.StartVia("chroot", [root, "/rawselect"],
                ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"]);

            foreach (int size in new[] { 1, 64 * 1024, 1 << 20 })
            {
                byte[] data = EchoClient.Random(size, seed: size);
                using Socket s = EchoClient.Connect(server.Tcp);
                byte[] got = await EchoClient.EchoAsync(s, data, halfClose: true);
                Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(got));
            }
            foreach (int size in new[] { 0, 1500, 65507 })
            {
                byte[] d = EchoClient.Random(size, seed: size + 1);
                Assert.Equal(EchoClient.Digest(d), EchoClient.Digest(EchoClient.UdpEcho(server.Udp, d)));
            }

            int? code = server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5));
            _out.WriteLine(server.Stderr);
            Assert.Equal(0, code);
            SignalTests.AssertNoCrash(server.Stderr);
            _out.WriteLine($"chroot run: {sw.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            File.Delete(inside);
        }
    }

    [RootReleaseFact]
    public void Everyday_build_linked_against_this_machines_glibc_does_not_start_there()
    {
        string root = BullseyeLibcRoot();
        string inside = Path.Combine(root, "rawselect-everyday");
        string everyday = Path.Combine(ReleaseArtifacts.RepoRoot, "artifacts", "rawselect");
        Assert.True(File.Exists(everyday), $"{everyday} is missing: run scripts/build.sh");
        File.Copy(everyday, inside, overwrite: true);
        try
        {
            (int code, string output) = ReleaseArtifacts.Run("chroot", root, "/rawselect-everyday", "--version");
            _out.WriteLine($"exit {code}: {output}");
            Assert.NotEqual(0, code);
            // The loader names the version it lacks, e.g. "version `GLIBC_2.34' not found".
            Assert.Matches(@"GLIBC_2\.(29|3\d).*not found", output);
        }
        finally
        {
            File.Delete(inside);
        }
    }
}
