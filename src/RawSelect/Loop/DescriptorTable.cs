using System;
using RawSelect.Interop;

namespace RawSelect;

/// <summary>
/// Whether the calling thread owns its descriptor table.
///
/// Linux gives all of a process's threads one descriptor table. While more than one thread uses
/// it, the kernel's fdget() cannot take its single-threaded fast path: every descriptor that
/// select(2) or poll(2) walks, on every call, takes and drops an atomic reference on its file.
/// A loop thread that calls unshare(CLONE_FILES) gets a copy of its own and the fast path back.
///
/// The price is a rule with two sides. A descriptor another thread uses (the wake-up pipe the
/// signal thread writes, stderr and the trace file the log writers write) must exist before the
/// split, so it has the same number and file in both tables; and a thread created by the loop
/// thread after the split would share the loop's new table and undo the gain. So the split is the
/// only way to obtain a <see cref="LoopContext"/> (<see cref="ProcessShared.Split"/>), which
/// exists only once everything shared has been opened and every helper thread started; and the
/// things that must come first (a wake-up pipe, a log writer thread, the signal registrations)
/// refuse to be made on a thread that owns a private table.
/// </summary>
public static class DescriptorTable
{
    /// <summary>Set by <c>RAWSELECT_FD_TABLE=shared</c>: skip the split, for measuring what it saves.</summary>
    public const string Variable = "RAWSELECT_FD_TABLE";

    [ThreadStatic] private static bool t_private;

    /// <summary>The calling thread has taken a table of its own.</summary>
    public static bool CurrentThreadOwnsOne => t_private;

    /// <summary>Throws if the calling thread owns a private table: <paramref name="what"/> would
    /// be invisible to (or, worse, mean another file in) every other thread.</summary>
    public static void RequireShared(string what)
    {
        if (t_private)
            throw new InvalidOperationException($"{what} must be made before the loop thread takes its own descriptor table");
    }

    /// <summary>
    /// unshare(CLONE_FILES) on the calling thread: 0, or -errno (the thread keeps the shared
    /// table; nothing else changes).
    /// </summary>
    internal static int Split(ISocketApi api)
    {
        if (t_private) return 0;
        int r = api.UnshareDescriptorTable();
        if (r == 0) t_private = true;
        return r;
    }
}
