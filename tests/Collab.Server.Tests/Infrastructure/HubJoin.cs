using Collab.Server.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>Joins from connections that the server may refuse (connection caps, floods).</summary>
internal static class HubJoin
{
    /// <summary>Starts and joins main of <paramref name="doc"/>; null when joined, else the error the connection was refused or closed with.</summary>
    public static async Task<string?> TryJoinAsync(HubConnection connection, string doc)
    {
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += ex =>
        {
            closed.TrySetResult(ex);
            return Task.CompletedTask;
        };
        try
        {
            await connection.StartAsync();
        }
        catch (Exception ex)
        {
            return ex.Message; // refused during the handshake: no Closed event follows a failed start
        }

        try
        {
            await connection.InvokeAsync<JoinResult>("Join", doc, "main");
            return null;
        }
        catch (Exception)
        {
            var error = await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return error?.Message ?? "closed without an error";
        }
    }
}
