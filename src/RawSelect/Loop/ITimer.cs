namespace RawSelect;

/// <summary>A deadline the loop waits for. The select timeout is the nearest one, or none at all.</summary>
public interface ITimer
{
    /// <summary>When it is due, in <see cref="LoopClock"/> milliseconds; long.MaxValue when idle.</summary>
    long DueAt { get; }

    void OnTimer(long now);
}
