namespace RawSelect;

/// <summary>--backend: the multiplexer behind <see cref="ISelector"/>, chosen once at start.</summary>
public enum SelectorBackend
{
    Select,
    Poll,
    Epoll,
}
