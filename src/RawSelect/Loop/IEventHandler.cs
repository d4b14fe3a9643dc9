namespace RawSelect;

/// <summary>What the loop calls when a registered socket is ready. The loop knows no more of it.</summary>
public interface IEventHandler
{
    void OnReady(bool readable, bool writable);
}
