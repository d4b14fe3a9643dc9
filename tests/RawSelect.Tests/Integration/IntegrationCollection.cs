using System.Runtime.InteropServices;
using Xunit;

namespace RawSelect.Tests.Integration;

/// <summary>
/// The integration tests share one collection: they run one after another, so timings (exit
/// within 3 s, RSS, CPU) measure the server and not its neighbours on a 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IntegrationCollection
{
    public const string Name = "Integration (the published binary)";
}

/// <summary>
/// A fact that needs root (chroot(2)). Not root: skipped with the reason given, never silently
/// passed. CI runs as root, so there it always runs.
/// </summary>
public sealed partial class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (OperatingSystem.IsLinux() && geteuid() != 0)
            Skip = "needs root: chroot(2) requires CAP_SYS_CHROOT (CI runs as root); run the suite as root to include it";
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
