using System.Runtime.CompilerServices;

namespace RawSelect.Tests;

/// <summary>
/// The test process itself on a 2-core machine: integration tests run many async client sockets
/// (their continuations on the thread pool) beside helpers that block while they poll the
/// server's stderr (SIGUSR1, then wait for its counters line). The pool starts with one thread
/// per core and adds more slowly once they are all blocked, so a client could stall for seconds
/// and a test would blame the server. Start it with enough threads that no test waits on it.
/// </summary>
internal static class TestHost
{
    [ModuleInitializer]
    internal static void WidenThreadPool()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }
}
