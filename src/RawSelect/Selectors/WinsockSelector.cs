using System;
using System.Collections.Generic;
using System.Diagnostics;
using RawSelect.Interop;
using RawSelect.Interop.Windows;

namespace RawSelect;

/// <summary>
/// The Winsock select backend: <see cref="SelectSelector"/>'s twin for an fd_set that is a count
/// and an array of SOCKETs rather than a bitmap. So:
/// <list type="bullet">
/// <item>The limit is a COUNT: at most <see cref="Capacity"/> sockets registered (the length of
/// our fd_array, set at start: --fd-setsize, by default <see cref="DefaultCapacity"/>),
/// whatever their handle values (Windows hands out kernel handle values, multiples of 4, soon far
/// above any FD_SETSIZE).</item>
/// <item>There is no nfds to track: Winsock ignores it.</item>
/// <item>Winsock fails a select whose sets are all empty (WSAEINVAL) where POSIX sleeps, so with
/// nothing to watch the backend sleeps for the timeout instead of calling select.</item>
/// <item>Select rewrites each set to hold only its ready sockets, packed at the front, so the
/// scan after it visits ready sockets only, and maps each handle back to its handler through a
/// dictionary (a bitmap index is no use when handles are not small numbers).</item>
/// </list>
/// As in Stevens, the interest sets ("allset") are copied into the sets given to select every
/// call, but only the fd_count entries in use, never the whole 8 KiB. Nothing here allocates
/// after construction: slots are recycled and the dictionary is sized for the capacity.
/// </summary>
public sealed class WinsockSelector : ISelector
{
    /// <summary>
    /// How long one Wait sleeps when nothing is registered and no deadline is given. Only reachable
    /// if the loop's own wake-up socket were removed; bounded so the loop still turns.
    /// </summary>
    public const long IdleSleepMicros = 1_000_000;

    /// <summary>
    /// How many sockets the sets hold when --fd-setsize does not say: Winsock's fd_set with a
    /// longer array (<see cref="LargeFdSet"/>), which select reads up to fd_count. 16384 serves
    /// 10,000 clients with room to spare, for 512 KiB in all four sets.
    /// </summary>
    public const int DefaultCapacity = 16384;

    private readonly IWinsockSelectApi _sys;
    private readonly WinsockSelectTrace? _trace;
    private readonly int _capacity;
    private readonly Dictionary<nuint, int> _slotOf;
    private readonly IEventHandler?[] _handlers;
    private readonly int[] _freeSlots;
    private readonly int[] _firedIndex;
    private readonly long[] _firedStamp;
    private int _freeCount;
    private long _stamp;
    private readonly LargeFdSet _readInterest;
    private readonly LargeFdSet _writeInterest;
    private readonly LargeFdSet _readReady;
    private readonly LargeFdSet _writeReady;

    /// <param name="capacity">How many sockets may be registered at once: the fd_array length.</param>
    public WinsockSelector(IWinsockSelectApi sys, Log? traceLog = null, int capacity = FdSet.Size)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least one socket");
        _sys = sys;
        _capacity = capacity;
        _slotOf = new Dictionary<nuint, int>(capacity);
        _handlers = new IEventHandler?[capacity];
        _freeSlots = new int[capacity];
        _firedIndex = new int[capacity];
        _firedStamp = new long[capacity];
        _readInterest = new LargeFdSet(capacity);
        _writeInterest = new LargeFdSet(capacity);
        _readReady = new LargeFdSet(capacity);
        _writeReady = new LargeFdSet(capacity);
        if (traceLog is { Trace: true }) _trace = new WinsockSelectTrace(traceLog);
        for (int i = 0; i < capacity; i++) _freeSlots[i] = capacity - 1 - i;
        _freeCount = capacity;
    }

    public int Capacity => _capacity;

    public int Count => _capacity - _freeCount;

    /// <summary>A count limit: any valid handle fits while a slot is free.</summary>
    public bool CanRegister(SocketHandle socket) => socket.IsValid && _freeCount > 0;

    public bool Add(SocketHandle socket, Interest interest, IEventHandler handler)
    {
        if (!CanRegister(socket)) return false;
        if (_slotOf.ContainsKey(socket.Value)) throw new InvalidOperationException($"socket {socket} is registered already");
        int slot = _freeSlots[--_freeCount];
        _slotOf.Add(socket.Value, slot);
        _handlers[slot] = handler;
        _firedStamp[slot] = 0;
        Apply(socket.Value, interest);
        return true;
    }

    public void Modify(SocketHandle socket, Interest interest)
    {
        if (!_slotOf.ContainsKey(socket.Value)) throw new InvalidOperationException($"socket {socket} is not registered");
        Apply(socket.Value, interest);
    }

    public void Remove(SocketHandle socket)
    {
        if (!_slotOf.Remove(socket.Value, out int slot)) return;
        _handlers[slot] = null;
        _readInterest.Remove(socket.Value);
        _writeInterest.Remove(socket.Value);
        _freeSlots[_freeCount++] = slot;
    }

    /// <summary>
    /// Brings a socket's membership of each interest set in line with interest. Finding it is a
    /// linear (vectorised) search of at most Capacity handles, as FD_ISSET is on Windows; each
    /// set can never overflow, since no more sockets are registered than one set holds.
    /// </summary>
    private void Apply(nuint s, Interest interest)
    {
        bool inRead = _readInterest.Contains(s), inWrite = _writeInterest.Contains(s);
        bool wantRead = (interest & Interest.Read) != 0, wantWrite = (interest & Interest.Write) != 0;
        if (wantRead && !inRead) _readInterest.Add(s);
        else if (!wantRead && inRead) _readInterest.Remove(s);
        if (wantWrite && !inWrite) _writeInterest.Add(s);
        else if (!wantWrite && inWrite) _writeInterest.Remove(s);
    }

    /// <summary>Whether a socket is in the read / write interest set (for tests and the trace).</summary>
    public Interest InterestOf(SocketHandle socket) =>
        (_readInterest.Contains(socket.Value) ? Interest.Read : Interest.None) |
        (_writeInterest.Contains(socket.Value) ? Interest.Write : Interest.None);

    public int Wait(long timeoutMicros, Span<ReadyEvent> fired)
    {
        long started = _trace is null ? 0 : Stopwatch.GetTimestamp();
        if (_readInterest.Count == 0 && _writeInterest.Count == 0)
        {
            // Winsock would fail this select with WSAEINVAL; POSIX would sleep. Sleep.
            long sleep = timeoutMicros < 0 ? IdleSleepMicros : timeoutMicros;
            _sys.Sleep(sleep);
            _trace?.RecordSleep(sleep, started);
            return 0;
        }

        _readReady.CopyFrom(_readInterest);
        _writeReady.CopyFrom(_writeInterest);

        int n = _sys.Select(_readReady, _writeReady, timeoutMicros);

        _trace?.Record(Count, _readInterest, _writeInterest, timeoutMicros, n, _readReady, _writeReady, started);
        if (n <= 0) return n;

        // One event per socket, readable and writable merged: a stamp per slot says whether this
        // call already gave the socket an event, and where.
        long stamp = ++_stamp;
        int count = 0;
        for (int i = 0; i < _readReady.Count && count < fired.Length; i++)
        {
            if (!_slotOf.TryGetValue(_readReady[i], out int slot) || _handlers[slot] is not IEventHandler h) continue;
            _firedStamp[slot] = stamp;
            _firedIndex[slot] = count;
            fired[count++] = new ReadyEvent { Handler = h, Readable = true, Writable = false };
        }
        for (int i = 0; i < _writeReady.Count; i++)
        {
            if (!_slotOf.TryGetValue(_writeReady[i], out int slot) || _handlers[slot] is not IEventHandler h) continue;
            if (_firedStamp[slot] == stamp)
            {
                fired[_firedIndex[slot]].Writable = true;
                continue;
            }
            if (count >= fired.Length) continue;
            _firedStamp[slot] = stamp;
            _firedIndex[slot] = count;
            fired[count++] = new ReadyEvent { Handler = h, Readable = false, Writable = true };
        }
        return count;
    }

    public void Dispose()
    {
        Array.Clear(_handlers);
        _slotOf.Clear();
        _readInterest.Zero();
        _writeInterest.Zero();
    }
}
