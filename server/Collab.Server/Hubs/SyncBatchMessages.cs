using Collab.Documents.Sessions;
using Collab.EventStore;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Collab.Server.Hubs;

/// <summary>
/// A commit's sync messages for the hub connections of one branch, each connection's share as one
/// <see cref="SerializedHubMessage"/>: the bytes of several hub invocations back to back. Both hub protocols frame
/// every message (MessagePack by a length prefix, JSON by a record separator) and clients read every message in a
/// frame, so a connection receives the whole batch in one write, one WebSocket frame and one send. Each invocation is
/// serialized once per protocol and shared by every connection that gets it.
/// </summary>
internal sealed class SyncBatchMessages(BranchRef branch, IReadOnlyList<BranchSyncMessage> batch)
{
    private readonly InvocationMessage[] _invocations = CreateInvocations(branch, batch);
    private readonly Dictionary<string, ReadOnlyMemory<byte>[]> _bytes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SerializedHubMessage> _whole = new(StringComparer.Ordinal);

    /// <summary>
    /// What <paramref name="connectionId"/> receives: every message it did not send, in order, with their payload size
    /// (for the outbox's byte limit); null when it sent them all.
    /// </summary>
    public SerializedHubMessage? For(IHubProtocol protocol, string connectionId, out int size)
    {
        var own = 0;
        size = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].ExceptConnectionId == connectionId) own++;
            else size += batch[i].Message.Length + 64;
        }
        if (own == batch.Count) return null;
        if (own == 0)
        {
            if (!_whole.TryGetValue(protocol.Name, out var whole))
            {
                whole = Join(protocol, null);
                _whole[protocol.Name] = whole;
            }
            return whole;
        }
        return Join(protocol, connectionId);
    }

    private SerializedHubMessage Join(IHubProtocol protocol, string? exceptConnectionId)
    {
        if (!_bytes.TryGetValue(protocol.Name, out var serialized))
        {
            serialized = new ReadOnlyMemory<byte>[_invocations.Length];
            for (var i = 0; i < serialized.Length; i++) serialized[i] = protocol.GetMessageBytes(_invocations[i]);
            _bytes[protocol.Name] = serialized;
        }
        var length = 0;
        for (var i = 0; i < serialized.Length; i++)
        {
            if (exceptConnectionId is null || batch[i].ExceptConnectionId != exceptConnectionId) length += serialized[i].Length;
        }
        var joined = new byte[length];
        var at = 0;
        for (var i = 0; i < serialized.Length; i++)
        {
            if (exceptConnectionId is not null && batch[i].ExceptConnectionId == exceptConnectionId) continue;
            serialized[i].Span.CopyTo(joined.AsSpan(at));
            at += serialized[i].Length;
        }
        return new SerializedHubMessage([new SerializedMessage(protocol.Name, joined)]);
    }

    private static InvocationMessage[] CreateInvocations(BranchRef branch, IReadOnlyList<BranchSyncMessage> batch)
    {
        var invocations = new InvocationMessage[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            invocations[i] = new InvocationMessage(nameof(IDocumentClient.Sync), [branch.Document.Value, branch.Branch.Value, batch[i].Message]);
        }
        return invocations;
    }
}
