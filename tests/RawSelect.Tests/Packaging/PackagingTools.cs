using System.Text.RegularExpressions;
using RawSelect.Tests.Release;

namespace RawSelect.Tests.Packaging;

/// <summary>
/// What the packaging tests share: the project version (read from the csproj, never written
/// into a test), the tools Debian's mandoc, lintian, rpm and rpmlint packages provide
/// (scripts/setup.sh --packages), and the release's packages under artifacts/release/.
/// A missing tool is a skip with the reason; RAWSELECT_REQUIRE_RELEASE=1 (CI) makes it a failure.
/// </summary>
public static class PackagingTools
{
    /// <summary>The Version element of src/RawSelect/RawSelect.csproj: what --version, the page and the packages carry.</summary>
    public static string ProjectVersion { get; } =
        Regex.Match(File.ReadAllText(Path.Combine(ReleaseArtifacts.RepoRoot, "src", "RawSelect", "RawSelect.csproj")),
            "<Version>([^<]+)</Version>").Groups[1].Value;

    public static string ManPage => Path.Combine(ReleaseArtifacts.RepoRoot, "man", "rawselect.8");

    public static string? Missing(params string[] tools) =>
        tools.FirstOrDefault(t => ReleaseArtifacts.Which(t) is null) is string t
            ? $"{t} is not installed: scripts/setup.sh --packages" : null;

    /// <summary>The release's .deb for a Debian architecture (amd64, arm64).</summary>
    public static string Deb(string arch) => Path.Combine(ReleaseArtifacts.Dir, $"rawselect_{ProjectVersion}_{arch}.deb");

    /// <summary>The release's .rpm for an RPM architecture (x86_64, aarch64).</summary>
    public static string Rpm(string arch) => Path.Combine(ReleaseArtifacts.Dir, $"rawselect-{ProjectVersion}-1.{arch}.rpm");

    public static string? PackagesSkipReason =>
        ReleaseArtifacts.SkipReason
        ?? (new[] { Deb("amd64"), Deb("arm64"), Rpm("x86_64"), Rpm("aarch64") }.FirstOrDefault(p => !File.Exists(p)) is string missing
            ? $"{missing} is missing: run scripts/release.sh" : null);
}

/// <summary>A fact that needs some of the packaging tools: skipped without them, failed instead under RAWSELECT_REQUIRE_RELEASE=1.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        if (PackagingTools.Missing(tools) is string why && !ReleaseArtifacts.Required) Skip = why;
    }
}

/// <summary>A fact on the release's packages, with the tools it runs.</summary>
public sealed class PackageFactAttribute : FactAttribute
{
    public PackageFactAttribute(params string[] tools)
    {
        string? why = PackagingTools.PackagesSkipReason ?? PackagingTools.Missing(tools);
        if (why is not null && !ReleaseArtifacts.Required) Skip = why;
    }
}
