using System;

namespace RawSelect;

/// <summary>
/// The loop's notion of "now", in monotonic milliseconds, read once after each wait so every
/// handler in a wake-up stamps the same, fresh time without a clock call of its own.
/// </summary>
public sealed class LoopClock
{
    public long Now { get; set; } = Environment.TickCount64;

    public long Update() => Now = Environment.TickCount64;
}
