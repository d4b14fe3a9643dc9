namespace RawSelect.Interop.Windows;

/// <summary>
/// Winsock's struct timeval (winsock2.h; "timeval structure" in the Winsock reference):
/// <c>long tv_sec; long tv_usec;</c> where long is 32 bits on Windows (LLP64), so 8 bytes in
/// all, 4-aligned: not Linux's two 64-bit fields. Seconds therefore stop at int.MaxValue.
/// </summary>
public struct TimeVal
{
    public int tv_sec;
    public int tv_usec;

    public static TimeVal FromMicroseconds(long micros)
    {
        if (micros < 0) micros = 0;
        long sec = micros / 1_000_000;
        if (sec > int.MaxValue) return new TimeVal { tv_sec = int.MaxValue, tv_usec = 0 };
        return new TimeVal { tv_sec = (int)sec, tv_usec = (int)(micros % 1_000_000) };
    }
}
