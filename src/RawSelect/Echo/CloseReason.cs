namespace RawSelect;

public enum CloseReason
{
    /// <summary>The peer half-closed and its echo was delivered.</summary>
    Eof,
    /// <summary>ECONNRESET or EPIPE: the peer is gone.</summary>
    Reset,
    Idle,
    Error,
    Shutdown,
}
