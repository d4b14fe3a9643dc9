namespace RawSelect;

/// <summary>
/// The open connections as an intrusive doubly linked list ordered by last activity: touching a
/// connection moves it to the tail in O(1), so the head is always the one idle longest and the
/// idle timer never scans.
/// </summary>
public sealed class ConnectionList
{
    public TcpConnection? Head { get; private set; }
    public TcpConnection? Tail { get; private set; }
    public int Count { get; private set; }

    public void AddLast(TcpConnection c)
    {
        c.Prev = Tail;
        c.Next = null;
        if (Tail is null) Head = c; else Tail.Next = c;
        Tail = c;
        Count++;
    }

    public void Remove(TcpConnection c)
    {
        if (c.Prev is null) Head = c.Next; else c.Prev.Next = c.Next;
        if (c.Next is null) Tail = c.Prev; else c.Next.Prev = c.Prev;
        c.Prev = c.Next = null;
        Count--;
    }

    public void MoveToLast(TcpConnection c)
    {
        if (Tail == c) return;
        Remove(c);
        AddLast(c);
    }
}
