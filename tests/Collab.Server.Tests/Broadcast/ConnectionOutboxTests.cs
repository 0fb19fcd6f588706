using System.Buffers;
using System.IO.Pipelines;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Server.Tests.Broadcast;

/// <summary>
/// The outbox writes at once while the connection keeps up and queues while a write waits for a slow reader: either
/// way every message reaches the transport exactly once, in the order it was handed over, and a reader that falls too
/// far behind gets its connection aborted without holding up the caller.
/// </summary>
public sealed class ConnectionOutboxTests
{
    private static readonly JsonHubProtocol Protocol = new();

    [Fact]
    public async Task messages_reach_the_transport_once_each_in_order_through_inline_and_queued_writes()
    {
        // A transport buffer of 1 KiB: the first writes complete at once, later ones wait until the reader takes bytes.
        var (connection, transport) = Connect(pauseAtBytes: 1024);
        var outbox = new ConnectionOutbox(connection, maxMessages: 10_000, maxBytes: 1 << 30, NullLogger.Instance);

        const int Messages = 500;
        var handOver = Task.Run(() =>
        {
            for (var i = 0; i < Messages; i++) Assert.True(outbox.TryEnqueue(Message(i), 100));
        });
        var received = await ReadAsync(transport, Messages);
        await handOver;

        Assert.Equal(Enumerable.Range(0, Messages), received);
        await Poll.UntilAsync(() => outbox.QueuedBytes == 0 && outbox.QueuedMessages == 0, "the outbox to empty");
    }

    [Fact]
    public async Task a_reader_that_stops_reading_gets_its_connection_aborted_and_the_caller_never_waits()
    {
        var (connection, _) = Connect(pauseAtBytes: 256);
        var outbox = new ConnectionOutbox(connection, maxMessages: 20, maxBytes: 1 << 30, NullLogger.Instance);

        var accepted = 0;
        for (var i = 0; i < 100; i++)
        {
            if (!outbox.TryEnqueue(Message(i), 100)) break;
            accepted++;
        }

        // One write in flight (waiting for the reader) and 20 queued: the 22nd is refused and the connection aborted.
        Assert.InRange(accepted, 20, 30);
        await Poll.UntilAsync(() => connection.ConnectionAborted.IsCancellationRequested, "the connection to be aborted");
        Assert.False(outbox.TryEnqueue(Message(1000), 100));
        Assert.Equal(0, outbox.QueuedMessages);
    }

    private static SerializedHubMessage Message(int i) => new(new InvocationMessage("Sync", ["doc", "main", i.ToString(System.Globalization.CultureInfo.InvariantCulture)]));

    private static (HubConnectionContext Connection, IDuplexPipe Transport) Connect(long pauseAtBytes)
    {
        var options = new PipeOptions(pauseWriterThreshold: pauseAtBytes, resumeWriterThreshold: pauseAtBytes / 2, useSynchronizationContext: false);
        var pair = DuplexPipe.CreateConnectionPair(options, options);
        var context = new DefaultConnectionContext("c1", pair.Transport, pair.Application);
        var connection = new HubConnectionContext(context, new HubConnectionContextOptions { KeepAliveInterval = TimeSpan.FromMinutes(5), ClientTimeoutInterval = TimeSpan.FromMinutes(5) }, NullLoggerFactory.Instance)
        {
            Protocol = Protocol,
        };
        return (connection, pair.Application);
    }

    /// <summary>Reads what the outbox wrote, as the transport would, and parses the invocations' third argument.</summary>
    private static async Task<List<int>> ReadAsync(IDuplexPipe transport, int count)
    {
        var received = new List<int>();
        var binder = new Binder();
        while (received.Count < count)
        {
            var result = await transport.Input.ReadAsync();
            var buffer = result.Buffer;
            while (Protocol.TryParseMessage(ref buffer, binder, out var message))
            {
                received.Add(int.Parse((string)((InvocationMessage)message).Arguments[2]!, System.Globalization.CultureInfo.InvariantCulture));
            }
            transport.Input.AdvanceTo(buffer.Start, buffer.End);
        }
        return received;
    }

    private sealed class Binder : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [typeof(string), typeof(string), typeof(string)];

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(object);
    }

    /// <summary>Two pipes joined back to back, as a connection's transport and application sides.</summary>
    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;

        public static (IDuplexPipe Transport, IDuplexPipe Application) CreateConnectionPair(PipeOptions inputOptions, PipeOptions outputOptions)
        {
            var input = new Pipe(inputOptions);
            var output = new Pipe(outputOptions);
            return (new DuplexPipe(input.Reader, output.Writer), new DuplexPipe(output.Reader, input.Writer));
        }
    }
}
