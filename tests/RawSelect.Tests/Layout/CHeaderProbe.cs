using System.Diagnostics;
using System.Text;

namespace RawSelect.Tests.Layout;

/// <summary>
/// Compiles a small C program with gcc against the real system headers and runs it; it prints
/// "name value" lines that the layout tests compare with the C# declarations. With a
/// <see cref="ProbeTarget"/> other than the host, it is cross-compiled against that
/// architecture's headers and run under qemu-user.
/// </summary>
public static class CHeaderProbe
{
    public static Dictionary<string, long> Run(string includes, IEnumerable<(string Name, string Expr)> values) =>
        Run(includes, values, ProbeTarget.Host);

    public static Dictionary<string, long> Run(string includes, IEnumerable<(string Name, string Expr)> values, ProbeTarget target)
    {
        string dir = Directory.CreateTempSubdirectory("rawselect-layout-").FullName;
        try
        {
            var c = new StringBuilder();
            c.AppendLine(includes);
            c.AppendLine("#include <stdio.h>\n#include <stddef.h>\nint main(void) {");
            foreach ((string name, string expr) in values)
                c.AppendLine($"    printf(\"%s %lld\\n\", \"{name}\", (long long)({expr}));");
            c.AppendLine("    return 0;\n}");
            string src = Path.Combine(dir, "probe.c"), exe = Path.Combine(dir, "probe");
            File.WriteAllText(src, c.ToString());
            (int code, string output) = Exec(target.Compiler, [.. target.CompilerArgs, "-o", exe, src]);
            if (code != 0) throw new InvalidOperationException($"{target.Compiler} failed:\n{output}\n{c}");
            (code, output) = target.RunVia is null ? Exec(exe) : Exec(target.RunVia, exe);
            if (code != 0) throw new InvalidOperationException($"probe failed: {output}");
            var result = new Dictionary<string, long>();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] p = line.Split(' ');
                result[p[0]] = long.Parse(p[1]);
            }
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int, string) Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string o = p.StandardOutput.ReadToEnd();
        p.WaitForExit(60_000);
        return (p.ExitCode, o + err.Result);
    }
}

/// <summary>
/// Which architecture's headers a probe is compiled against, and how it is run: the host's gcc,
/// or a cross gcc (linked statically, so the emulator needs no libraries) run under qemu-user.
/// </summary>
public sealed record ProbeTarget(System.Runtime.InteropServices.Architecture Arch, string Compiler, string[] CompilerArgs, string? RunVia)
{
    public static readonly ProbeTarget Host = new(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture, "gcc", [], null);

    /// <summary>Debian's gcc-aarch64-linux-gnu + libc6-dev-arm64-cross, run under qemu-aarch64 (qemu-user).</summary>
    public static readonly ProbeTarget LinuxArm64 = new(System.Runtime.InteropServices.Architecture.Arm64, "aarch64-linux-gnu-gcc", ["-static"], "qemu-aarch64");

    /// <summary>Null when the compiler and the emulator are on PATH; otherwise what to install.</summary>
    public string? SkipReason =>
        new[] { Compiler, RunVia }.FirstOrDefault(t => t is not null && !OnPath(t)) is string missing
            ? $"{missing} is not installed: scripts/setup.sh --release installs the arm64 cross compiler and qemu-user"
            : null;

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, name)));
}
