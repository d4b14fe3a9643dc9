namespace RawSelect;

/// <summary>How much goes to stderr. Each level includes the ones before it.</summary>
public enum LogLevel
{
    Quiet = 0,
    Error = 1,
    Info = 2,
    Debug = 3,
    Trace = 4,
}
