using System.Buffers;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Collab.Server.Tests.Broadcast;

/// <summary>A commit's broadcast as one write per connection: each gets exactly the messages it did not send, in order.</summary>
public sealed class SyncBatchMessagesTests
{
    private static readonly BranchRef Branch = new(new DocumentId("doc"), BranchName.Main);

    public static TheoryData<string> Protocols => new() { "json", "messagepack" };

    private static IHubProtocol Protocol(string name) => name == "json"
        ? new JsonHubProtocol()
        : new MessagePackHubProtocol(Microsoft.Extensions.Options.Options.Create(new MessagePackHubProtocolOptions()));

    private static readonly BranchSyncMessage[] Batch =
    [
        new([2, 1, 0xA1], "alice"),
        new([2, 1, 0xB1], "bob"),
        new([2, 1, 0xA2], "alice"),
        new([0, 0], null), // a server-made message: everyone gets it
    ];

    [Theory]
    [MemberData(nameof(Protocols))]
    public void each_connection_gets_every_message_it_did_not_send_in_order_in_one_serialized_message(string protocolName)
    {
        var protocol = Protocol(protocolName);
        var messages = new SyncBatchMessages(Branch, Batch);

        Assert.Equal([[2, 1, 0xB1], [0, 0]], Payloads(protocol, messages.For(protocol, "alice", out var aliceSize)));
        Assert.Equal([[2, 1, 0xA1], [2, 1, 0xA2], [0, 0]], Payloads(protocol, messages.For(protocol, "bob", out _)));
        Assert.Equal(Batch.Select(m => m.Message), Payloads(protocol, messages.For(protocol, "carol", out var carolSize)));
        Assert.Equal(3 + 2 + 2 * 64, aliceSize);
        Assert.Equal(3 * 3 + 2 + 4 * 64, carolSize);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public void connections_that_sent_nothing_share_one_serialized_batch(string protocolName)
    {
        var protocol = Protocol(protocolName);
        var messages = new SyncBatchMessages(Branch, Batch);
        Assert.Same(messages.For(protocol, "carol", out _), messages.For(protocol, "dave", out _));
    }

    [Fact]
    public void a_connection_that_sent_the_whole_batch_gets_nothing()
    {
        var protocol = Protocol("json");
        var messages = new SyncBatchMessages(Branch, [new([2, 1, 1], "alice"), new([2, 1, 2], "alice")]);
        Assert.Null(messages.For(protocol, "alice", out var size));
        Assert.Equal(0, size);
    }

    /// <summary>Parses a connection's bytes as a client does: every hub message in the frame, each a Sync invocation.</summary>
    private static List<byte[]> Payloads(IHubProtocol protocol, SerializedHubMessage? message)
    {
        Assert.NotNull(message);
        var input = new ReadOnlySequence<byte>(message.GetSerializedMessage(protocol));
        var payloads = new List<byte[]>();
        while (protocol.TryParseMessage(ref input, new SyncBinder(), out var parsed))
        {
            var invocation = Assert.IsType<InvocationMessage>(parsed);
            Assert.Equal("Sync", invocation.Target);
            Assert.Equal("doc", invocation.Arguments[0]);
            Assert.Equal("main", invocation.Arguments[1]);
            payloads.Add(Assert.IsType<byte[]>(invocation.Arguments[2]));
        }
        Assert.True(input.IsEmpty);
        return payloads;
    }

    private sealed class SyncBinder : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [typeof(string), typeof(string), typeof(byte[])];

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(object);
    }
}
