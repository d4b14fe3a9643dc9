using System.Runtime.InteropServices;

namespace RawSelect.Tests.Layout;

/// <summary>
/// The same comparison as <see cref="LinuxLayoutTests"/> for the linux-arm64 release: the probe is
/// compiled with aarch64-linux-gnu-gcc against Debian's arm64 glibc headers and run under
/// qemu-aarch64, and every struct size, offset and constant is compared with the C# declarations
/// as they are laid out for arm64 (<see cref="LinuxLayoutTests.StructProbes"/> with Arm64).
/// </summary>
public unsafe class LinuxArm64LayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> Probe = new(() =>
        CHeaderProbe.Run(LinuxLayoutTests.Includes,
            LinuxLayoutTests.StructProbes(Architecture.Arm64).Select(p => (p.Name, p.CExpr))
                .Concat(LinuxLayoutTests.Constants().Select(c => (c.Name, c.Name))),
            ProbeTarget.LinuxArm64));

    public static IEnumerable<object[]> StructCases() =>
        LinuxLayoutTests.StructProbes(Architecture.Arm64).Select(p => new object[] { p.Name, p.CSharp });

    public static IEnumerable<object[]> ConstantCases() => LinuxLayoutTests.ConstantCases();

    [Arm64ProbeTheory]
    [MemberData(nameof(StructCases))]
    public void Struct_layout_matches_the_arm64_C_headers(string name, long csharp) =>
        Assert.Equal(Probe.Value[name], csharp);

    [Arm64ProbeTheory]
    [MemberData(nameof(ConstantCases))]
    public void Constant_matches_the_arm64_C_headers(string name, long csharp) =>
        Assert.Equal(Probe.Value[name], csharp);

    [Arm64ProbeFact]
    public void Probe_really_ran_as_arm64() =>
        // __aarch64__ is defined only by a compiler targeting arm64; the value came from the emulated binary.
        Assert.Equal(1, CHeaderProbe.Run("", [("aarch64", "__aarch64__ + 0"), ("lp64", "sizeof(long) == 8")], ProbeTarget.LinuxArm64)["aarch64"]);
}

/// <summary>Skipped with the reason without the arm64 cross compiler or qemu-aarch64; failed instead under RAWSELECT_REQUIRE_RELEASE=1.</summary>
public sealed class Arm64ProbeTheoryAttribute : TheoryAttribute
{
    public Arm64ProbeTheoryAttribute()
    {
        if (ProbeTarget.LinuxArm64.SkipReason is string why && !Release.ReleaseArtifacts.Required) Skip = why;
    }
}

public sealed class Arm64ProbeFactAttribute : FactAttribute
{
    public Arm64ProbeFactAttribute()
    {
        if (ProbeTarget.LinuxArm64.SkipReason is string why && !Release.ReleaseArtifacts.Required) Skip = why;
    }
}
