namespace RawSelect.Tests.Integration;

/// <summary>
/// The selector backends the integration tests run the binary with. select is the default, so
/// it is started with no --backend at all: the default itself stays tested.
/// </summary>
public static class Backends
{
    public static readonly string[] All = ["select", "poll", "epoll"];

    public static IEnumerable<object[]> Each() => All.Select(b => new object[] { b });

    /// <summary>Every combination of the given values with every backend.</summary>
    public static IEnumerable<object[]> Times<T>(params T[] values) =>
        from v in values from b in All select new object[] { v!, b };

    /// <summary>The arguments that choose it: none for select (the default), "--backend NAME" otherwise.</summary>
    public static string[] Args(string backend) => backend == "select" ? [] : ["--backend", backend];
}
