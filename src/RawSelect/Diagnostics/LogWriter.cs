using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace RawSelect;

/// <summary>
/// Where log lines wait for a slow reader: a bounded ring of bytes that a dedicated thread writes
/// to the destination with ordinary blocking write(2). The loop only copies a line in (or, when
/// the ring is full, drops it and counts it), so a reader that stops reading (a paused pager, a
/// stuck log shipper, a terminal held with Ctrl-S) costs lines, never a stalled client.
///
/// Why a thread and not fd 2 in select's write set: waiting for writability needs O_NONBLOCK,
/// and O_NONBLOCK belongs to the open file description, which stderr shares with the terminal
/// and the shell (they would see EAGAIN after we exit). Reopening /proc/self/fd/2 for a private
/// description fails for sockets (the journal) and where /proc is absent (a chroot), and regular
/// files always select as writable yet can still block (NFS, a full disk). A thread doing
/// blocking writes works the same for pipes, sockets, files and terminals, and leaves the
/// descriptor exactly as we found it.
/// </summary>
public sealed class LogWriter
{
    public const int DefaultCapacity = 256 * 1024;

    private readonly Stream _out;
    private readonly byte[] _ring;
    private readonly object _lock = new();
    private readonly Func<long, byte[], int> _dropNotice;
    private readonly byte[] _notice = new byte[512];
    private Thread? _thread;
    // Guarded by _lock.
    private int _start;
    private int _count;
    private bool _writerIdle;
    private long _dropped;
    private long _unreported;

    /// <param name="dropNotice">Formats "N lines dropped" into the buffer, returns its length.
    /// Called on the writer thread.</param>
    public LogWriter(Stream destination, Func<long, byte[], int> dropNotice, int capacity = DefaultCapacity)
    {
        _out = destination;
        _dropNotice = dropNotice;
        _ring = new byte[capacity];
    }

    /// <summary>Lines dropped so far because the ring was full.</summary>
    public long Dropped
    {
        get { lock (_lock) return _dropped; }
    }

    /// <summary>
    /// Queues one whole line, or drops it (counted) if it does not fit. Never blocks on the
    /// destination. Any thread.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> line)
    {
        lock (_lock)
        {
            if (_ring.Length - _count < line.Length)
            {
                _dropped++;
                _unreported++;
                return false;
            }
            int tail = (_start + _count) % _ring.Length;
            int first = Math.Min(line.Length, _ring.Length - tail);
            line.Slice(0, first).CopyTo(_ring.AsSpan(tail));
            line.Slice(first).CopyTo(_ring);
            _count += line.Length;
            if (_writerIdle) Monitor.Pulse(_lock);
        }
        return true;
    }

    /// <summary>
    /// Starts the writer thread; until then lines only queue. Never started lazily by a line: the
    /// first line may come from a loop thread that owns its descriptor table, and a thread it
    /// created would share that table (see <see cref="DescriptorTable"/>). Idempotent.
    /// </summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_thread is not null) return;
            DescriptorTable.RequireShared("the log writer thread");
            _thread = new Thread(WriteLoop, maxStackSize: 128 * 1024) { IsBackground = true, Name = "log writer" };
            _thread.Start();
        }
    }

    private void WriteLoop()
    {
        while (true)
        {
            int start, length;
            byte[] source = _ring;
            lock (_lock)
            {
                while (_count == 0 && _unreported == 0)
                {
                    _writerIdle = true;
                    Monitor.PulseAll(_lock); // whoever waits in Drain
                    Monitor.Wait(_lock);
                    _writerIdle = false;
                }
                if (_count > 0)
                {
                    start = _start;
                    length = Math.Min(_count, _ring.Length - _start);
                }
                else
                {
                    // Drained, and lines were dropped meanwhile: say how many, once.
                    length = _dropNotice(_unreported, _notice);
                    _unreported = 0;
                    source = _notice;
                    start = 0;
                }
            }
            // Outside the lock: the loop keeps appending behind us while this blocks.
            try
            {
                _out.Write(source, start, length);
            }
            catch (IOException)
            {
                // The reader is gone (EPIPE, EBADF): logging must never take the server down.
            }
            if (source != _ring) continue;
            lock (_lock)
            {
                _start = (_start + length) % _ring.Length;
                _count -= length;
            }
        }
    }

    /// <summary>
    /// Waits until everything queued has been written, or the deadline (Stopwatch ticks) passes.
    /// Returns whether it drained. Never waits past the deadline, however stalled the reader.
    /// </summary>
    public bool Drain(long deadlineTicks)
    {
        lock (_lock)
        {
            while (_count > 0 || _unreported > 0 || (_thread is not null && !_writerIdle))
            {
                long left = deadlineTicks - Stopwatch.GetTimestamp();
                if (left <= 0) return false;
                int ms = (int)Math.Clamp(left * 1000 / Stopwatch.Frequency, 1, int.MaxValue);
                Monitor.Wait(_lock, ms);
            }
            return true;
        }
    }
}
