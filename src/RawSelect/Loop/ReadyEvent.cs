namespace RawSelect;

/// <summary>One entry of the "fired" list a selector fills: who is ready, for what.</summary>
public struct ReadyEvent
{
    public IEventHandler Handler;
    public bool Readable;
    public bool Writable;
}
