namespace RawSelect.Interop.Unix;

/// <summary>struct timeval on LP64 Linux: two longs (time_t tv_sec, suseconds_t tv_usec), 16 bytes.</summary>
public struct TimeVal
{
    public long tv_sec;
    public long tv_usec;

    public static TimeVal FromMicroseconds(long micros) =>
        new() { tv_sec = micros / 1_000_000, tv_usec = micros % 1_000_000 };
}
