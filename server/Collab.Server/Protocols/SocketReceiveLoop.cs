using System.Net.WebSockets;
using Collab.Documents;

namespace Collab.Server.Protocols;

/// <summary>The receive loop shared by the raw-socket protocols (y-websocket, Hocuspocus).</summary>
internal static class SocketReceiveLoop
{
    /// <summary>
    /// Reads whole frames and hands each binary one to <paramref name="handle"/>, in arrival order and one at a time,
    /// until the peer closes or the socket fails. A refusal (returned by <paramref name="handle"/>, or a text or oversized
    /// frame) closes the socket with its close code and "code: reason"; frames that still arrive are not handled, and the
    /// socket is dropped if the peer does not answer the close within 5 s.
    /// </summary>
    public static async Task RunAsync(
        WebSocket socket,
        SocketOutbox outbox,
        long maxFrameBytes,
        string protocol,
        Func<byte[], Task<(CollabErrorCode Code, string Reason)?>> handle,
        CancellationToken aborted)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var closed = false;
        void Close(CollabErrorCode code, string reason)
        {
            if (closed) return;
            closed = true;
            outbox.Close((WebSocketCloseStatus)YWebsocket.YWebsocketEndpoint.CloseCodeOf(code), $"{CollabException.CodeNameOf(code)}: {reason}");
            closing.CancelAfter(TimeSpan.FromSeconds(5));
        }

        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, closing.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    outbox.Close(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }
                if (message.Length + result.Count > maxFrameBytes)
                {
                    Close(CollabErrorCode.TooLarge, $"A frame is larger than {maxFrameBytes} bytes.");
                    message.SetLength(0);
                    continue;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var frame = message.ToArray();
                message.SetLength(0);
                // After a refusal closed the socket, what still arrives is not handled.
                if (closed) continue;
                if (result.MessageType != WebSocketMessageType.Binary)
                {
                    Close(CollabErrorCode.Malformed, $"{protocol} frames are binary.");
                    continue;
                }
                if (await handle(frame) is { } refusal) Close(refusal.Code, refusal.Reason);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went away, or did not answer our close in time.
        }
    }
}
