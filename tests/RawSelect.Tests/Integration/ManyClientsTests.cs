using System.Net.Sockets;
using Xunit.Abstractions;

namespace RawSelect.Tests.Integration;

/// <summary>
/// Two hundred clients connected at once, every one of them open before any echoes, each
/// sending its own bytes: each gets exactly its own back, and the server counts 200 accepted.
/// One select loop serving many descriptors at once is the whole point of the design.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ManyClientsTests
{
    private const int Clients = 200;

    private readonly ITestOutputHelper _out;

    public ManyClientsTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public async Task Two_hundred_clients_at_once_each_get_their_own_echo()
    {
        using var server = ServerProcess.StartDefault();
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < Clients; i++) sockets.Add(EchoClient.Connect(server.Tcp));

            // Sizes differ per client (1 byte to ~20 KiB) so that no two echoes could be swapped unseen.
            byte[][] data = Enumerable.Range(0, Clients).Select(i => EchoClient.Random(1 + i * 97, seed: 1000 + i)).ToArray();
            byte[][] got = await Task.WhenAll(sockets.Select((s, i) => EchoClient.EchoAsync(s, data[i], halfClose: true)));

            for (int i = 0; i < Clients; i++)
                Assert.True(EchoClient.Digest(data[i]) == EchoClient.Digest(got[i]), $"client {i} got {got[i].Length} bytes back of {data[i].Length}, or other bytes");
        }
        finally
        {
            foreach (Socket s in sockets) s.Dispose();
        }

        int? code = server.StopWith(ServerProcess.SIGTERM, TimeSpan.FromSeconds(10));
        _out.WriteLine(server.Stderr);
        Assert.Equal(0, code);
        Assert.Matches($@"\btcp_accepted={Clients}\b", server.Stderr);
    }
}
