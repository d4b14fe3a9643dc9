namespace RawSelect.Tests.Unit;

public class VersionLineTests
{
    [Fact]
    public void Release_build_names_commit_target_and_glibc_floor() =>
        Assert.Equal("rawselect 0.2.0 (commit 1a2b3c4d5e6f, linux-x64, glibc >= 2.17)",
            VersionLine.Format("0.2.0", "1a2b3c4d5e6f", "linux-x64", "2.17"));

    [Fact]
    public void Everyday_linux_build_claims_no_floor_it_cannot_vouch_for() =>
        Assert.Equal("rawselect 0.2.0 (commit 1a2b3c4d5e6f-dirty, linux-arm64, glibc: build host's)",
            VersionLine.Format("0.2.0", "1a2b3c4d5e6f-dirty", "linux-arm64", ""));

    [Fact]
    public void Windows_build_has_no_glibc() =>
        Assert.Equal("rawselect 0.2.0 (commit 1a2b3c4d5e6f, win-x64)", VersionLine.Format("0.2.0", "1a2b3c4d5e6f", "win-x64", ""));

    [Fact]
    public void The_assembly_carries_the_version_of_the_project() =>
        Assert.StartsWith($"rawselect {typeof(VersionLine).Assembly.GetName().Version!.ToString(3)} (commit ", HelpText.Version);
}
