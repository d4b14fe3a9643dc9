namespace RawSelect;

/// <summary>The loop's timeout in microseconds as poll(2) and epoll_wait(2) take it.</summary>
public static class WaitTimeout
{
    /// <summary>
    /// Whole milliseconds, rounded up so a timer is never woken before it is due (a wake-up that
    /// early would find nothing due and wait again); negative means no limit (-1).
    /// </summary>
    public static int Milliseconds(long micros)
    {
        if (micros < 0) return -1;
        long ms = (micros + 999) / 1000;
        return ms > int.MaxValue ? int.MaxValue : (int)ms;
    }
}
