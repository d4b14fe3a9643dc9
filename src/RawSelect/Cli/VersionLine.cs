using System;

namespace RawSelect;

/// <summary>
/// The one line --version prints: what was built, from which commit, for which target and, on
/// Linux, the oldest glibc it runs on, e.g. <c>rawselect 0.3.0 (commit 1a2b3c4d5e6f, linux-x64, glibc >= 2.17)</c>.
/// Release builds pin the floor (linked against an old glibc, checked by scripts/release.sh); the
/// everyday build links against the build host's glibc, whose floor is only known after the link,
/// so it says that instead of a number it cannot vouch for.
/// </summary>
public static class VersionLine
{
    public const string BuildHostGlibc = "glibc: build host's";

    public static string Format(string version, string commit, string target, string glibcFloor)
    {
        string line = $"rawselect {version} (commit {commit}, {target}";
        if (target.StartsWith("linux-", StringComparison.Ordinal))
            line += glibcFloor.Length > 0 ? $", glibc >= {glibcFloor}" : $", {BuildHostGlibc}";
        return line + ")";
    }
}
