using System.Threading;

namespace RawSelect;

/// <summary>
/// --max-clients for the whole server: one count of open connections shared by every loop,
/// touched only when a connection is accepted or closed (an atomic add each), never per event.
/// </summary>
public sealed class ClientSlots
{
    private int _open;

    public ClientSlots(int max = int.MaxValue) => Max = max;

    /// <summary>Set once before serving starts.</summary>
    public int Max { get; set; }

    public int Open => Volatile.Read(ref _open);

    /// <summary>Takes a slot for a new connection; false (nothing taken) when all are in use.</summary>
    public bool TryTake()
    {
        if (Interlocked.Increment(ref _open) <= Max) return true;
        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _open);
}
