namespace RawSelect.Interop;

/// <summary>shutdown(2)'s "how", named the same on both platforms (SHUT_* / SD_* share values).</summary>
public enum ShutdownHow
{
    Read = 0,
    Write = 1,
    Both = 2,
}
