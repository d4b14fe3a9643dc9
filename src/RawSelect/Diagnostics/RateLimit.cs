namespace RawSelect;

/// <summary>
/// At most one log line a second for events an attacker can repeat at will (refusals, drops):
/// a flood of them must not become a flood of logs. Counts what it held back.
/// </summary>
public struct RateLimit
{
    private long _last;
    private long _suppressed;
    private bool _started;

    /// <summary>True if a line may be written now; then <paramref name="suppressed"/> says how many were held back since the last.</summary>
    public bool Allow(long now, out long suppressed)
    {
        if (_started && now - _last < 1000)
        {
            _suppressed++;
            suppressed = 0;
            return false;
        }
        _started = true;
        _last = now;
        suppressed = _suppressed;
        _suppressed = 0;
        return true;
    }
}
