using System.Net.WebSockets;
using System.Text;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>
/// A raw SignalR client (JSON protocol over a real WebSocket) that joins a branch and then never reads again, as a
/// hostile or frozen client would: whatever the server sends it piles up in the socket buffers.
/// </summary>
internal sealed class StalledClient : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket = new();

    private StalledClient()
    {
    }

    /// <summary>Connects, joins <paramref name="documentId"/>/main, waits for the join's completion, then stops reading.</summary>
    public static async Task<StalledClient> JoinAndStallAsync(Uri baseAddress, string token, string documentId)
    {
        var client = new StalledClient();
        var uri = new Uri($"ws://{baseAddress.Authority}/hubs/documents?access_token={Uri.EscapeDataString(token)}");
        await client._socket.ConnectAsync(uri, CancellationToken.None);
        await client.SendAsync("{\"protocol\":\"json\",\"version\":1}");
        await client.ReadUntilAsync("{}"); // handshake response
        await client.SendAsync($"{{\"type\":1,\"invocationId\":\"join\",\"target\":\"Join\",\"arguments\":[\"{documentId}\",\"main\"]}}");
        var completion = await client.ReadUntilAsync("\"invocationId\":\"join\"");
        if (completion.Contains("\"error\"", StringComparison.Ordinal)) throw new InvalidOperationException("Join failed: " + completion);
        return client;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task SendAsync(string json) =>
        await _socket.SendAsync(Encoding.UTF8.GetBytes(json + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>Reads records until one contains <paramref name="marker"/>; returns it.</summary>
    private async Task<string> ReadUntilAsync(string marker)
    {
        var buffer = new byte[64 * 1024];
        var pending = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("The server closed the connection.");
            pending.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            var text = pending.ToString();
            var records = text.Split(RecordSeparator);
            for (var i = 0; i < records.Length - 1; i++)
            {
                if (records[i].Contains(marker, StringComparison.Ordinal)) return records[i];
            }
            pending.Clear().Append(records[^1]);
        }
    }
}
