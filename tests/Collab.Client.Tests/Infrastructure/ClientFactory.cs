namespace Collab.Client.Tests.Infrastructure;

internal static class ClientFactory
{
    public static CollabClient Create(CollabServer server, string token, CollabHubProtocol protocol = CollabHubProtocol.MessagePack) =>
        new(new CollabClientOptions
        {
            ServerUrl = server.BaseUrl,
            AccessTokenProvider = () => Task.FromResult<string?>(token),
            Protocol = protocol,
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        });
}
