using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// The binary needs nothing but itself and the shared libraries ldd names: no .NET runtime, no
/// ICU, no /etc, /proc or /dev. Checked by running it in a chroot holding only those files.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed partial class MinimalHostTests
{
    private readonly ITestOutputHelper _out;

    public MinimalHostTests(ITestOutputHelper output) => _out = output;

    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
    [GeneratedRegex(@"^\s*(?:\S+\s+=>\s+)?(?<path>/\S+)\s+\(0x[0-9a-f]+\)\s*$")]
    private static partial Regex LddLine();

    private static List<string> SharedLibraries(string binary)
    {
        var psi = new ProcessStartInfo("ldd") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(binary);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), "ldd did not finish");
        Assert.True(p.ExitCode == 0, $"ldd {binary} failed: {err}{output}");
        var libs = new List<string>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.DoesNotContain("not found", line);
            Match m = LddLine().Match(line);
            if (m.Success) libs.Add(m.Groups["path"].Value);
            else Assert.Contains("linux-vdso", line); // the only line without a file: the kernel's vDSO
        }
        return libs;
    }

    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Runs_in_an_empty_chroot_holding_only_the_binary_and_its_ldd_libraries()
    {
        string binary = ServerProcess.BinaryPath;
        List<string> libs = SharedLibraries(binary);
        _out.WriteLine("ldd: " + string.Join(' ', libs));
        Assert.Contains(libs, l => l.Contains("libc.so"));
        Assert.Contains(libs, l => l.Contains("ld-linux")); // the dynamic loader, named by ldd too

        DirectoryInfo root = Directory.CreateTempSubdirectory("rawselect-chroot-");
        try
        {
            File.Copy(binary, Path.Combine(root.FullName, "rawselect"));
            File.SetUnixFileMode(Path.Combine(root.FullName, "rawselect"),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (string lib in libs)
            {
                // Same path inside the root; the file itself, not the symlink chain (File.Copy follows it).
                string dest = Path.Combine(root.FullName, lib.TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                File.Copy(lib, dest);
            }
            string[] files = Directory.GetFiles(root.FullName, "*", SearchOption.AllDirectories);
            Assert.Equal(libs.Count + 1, files.Length);
            Assert.False(Directory.Exists(Path.Combine(root.FullName, "proc")));
            Assert.False(Directory.Exists(Path.Combine(root.FullName, "etc")));

            using var server = ServerProcess.StartVia("chroot", [root.FullName, "/rawselect"],
                ["--tcp", "127.0.0.1:0", "--udp", "127.0.0.1:0"]);

            byte[] data = EchoClient.Random(1 << 20, seed: 11);
            using (Socket s = EchoClient.Connect(server.Tcp))
            {
                byte[] got = await EchoClient.EchoAsync(s, data, halfClose: true);
                Assert.Equal(EchoClient.Digest(data), EchoClient.Digest(got));
            }
            foreach (int size in new[] { 0, 1500, 65507 })
            {
                byte[] d = EchoClient.Random(size, seed: size);
                Assert.Equal(EchoClient.Digest(d), EchoClient.Digest(EchoClient.UdpEcho(server.Udp, d)));
            }

            int? code = server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(5));
            _out.WriteLine(server.Stderr);
            Assert.Equal(0, code);
            SignalTests.AssertNoCrash(server.Stderr);
        }
        finally
        {
            root.Delete(recursive: true);
        }
        Assert.False(Directory.Exists(root.FullName));
    }
}
