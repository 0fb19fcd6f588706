using Microsoft.AspNetCore.Http.Connections.Client;

namespace Collab.Client;

/// <summary>Hub protocol a <see cref="CollabClient"/> speaks.</summary>
public enum CollabHubProtocol
{
    /// <summary>MessagePack: byte arrays travel as <c>bin</c> (smaller, faster).</summary>
    MessagePack,

    /// <summary>JSON: byte arrays travel as base64 strings.</summary>
    Json,
}

/// <summary>Settings of a <see cref="CollabClient"/>.</summary>
public sealed class CollabClientOptions
{
    /// <summary>Base address of the server, e.g. <c>http://127.0.0.1:5050/</c>.</summary>
    public required Uri ServerUrl { get; init; }

    /// <summary>Gives the JWT for the hub (sent as <c>access_token</c> on WebSockets).</summary>
    public required Func<Task<string?>> AccessTokenProvider { get; init; }

    /// <summary>Hub protocol; MessagePack by default.</summary>
    public CollabHubProtocol Protocol { get; init; } = CollabHubProtocol.MessagePack;

    /// <summary>Connect straight over WebSockets without the negotiate round trip.</summary>
    public bool SkipNegotiation { get; init; }

    /// <summary>Upper bound of the reconnect back-off.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Extra transport settings (tests plug in handlers here).</summary>
    public Action<HttpConnectionOptions>? ConfigureHttpConnection { get; init; }
}
