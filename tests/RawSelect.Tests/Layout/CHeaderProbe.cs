using System.Diagnostics;
using System.Text;

namespace RawSelect.Tests.Layout;

/// <summary>
/// Compiles a small C program with gcc against the real system headers and runs it; it prints
/// "name value" lines that the layout tests compare with the C# declarations.
/// </summary>
public static class CHeaderProbe
{
    public static Dictionary<string, long> Run(string includes, IEnumerable<(string Name, string Expr)> values)
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
            (int code, string output) = Exec("gcc", "-o", exe, src);
            if (code != 0) throw new InvalidOperationException($"gcc failed:\n{output}\n{c}");
            (code, output) = Exec(exe);
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
