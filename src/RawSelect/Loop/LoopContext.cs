namespace RawSelect;

/// <summary>
/// What a loop thread starts with, obtained only from <see cref="ProcessShared.Split"/>: its index,
/// its wake-up (opened before the split, so other threads can reach it), the shared log, and
/// whether the thread now owns its descriptor table (and if not, why).
/// </summary>
public sealed class LoopContext
{
    internal LoopContext(int index, LoopWake wake, Log log, bool privateTable, string? sharedBecause)
    {
        Index = index;
        Wake = wake;
        Log = log;
        PrivateTable = privateTable;
        SharedBecause = sharedBecause;
    }

    public int Index { get; }
    public LoopWake Wake { get; }
    public Log Log { get; }

    /// <summary>unshare(CLONE_FILES) succeeded on this thread.</summary>
    public bool PrivateTable { get; }

    /// <summary>Why the table stayed shared (null when private, or on Windows where there is no such table).</summary>
    public string? SharedBecause { get; }
}
