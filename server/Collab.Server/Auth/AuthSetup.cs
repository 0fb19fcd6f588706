using Collab.Server.Options;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Collab.Server.Auth;

/// <summary>JWT bearer for REST and the hub.</summary>
internal static class AuthSetup
{
    /// <summary>The hub path, whose WebSocket and SSE requests carry the token in the query string.</summary>
    public const string HubPath = "/hubs/documents";

    public static IServiceCollection AddCollabAuth(this IServiceCollection services)
    {
        services.AddSingleton<SigningKeyProvider>();
        services.AddSingleton<DevTokenIssuer>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<CollabServerOptions>, SigningKeyProvider>((jwt, options, keys) => Configure(jwt, options.Value.Auth, keys));
        services.AddAuthorization();
        return services;
    }

    private static void Configure(JwtBearerOptions jwt, AuthOptions auth, SigningKeyProvider keys)
    {
        // Keep claim names as written ("sub"), not the legacy SOAP URIs.
        jwt.MapInboundClaims = false;
        if (auth.Authority is { } authority)
        {
            jwt.Authority = authority;
            jwt.Audience = auth.Audience;
        }
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = auth.Authority is null,
            ValidIssuer = auth.Issuer,
            ValidateAudience = true,
            ValidAudience = auth.Audience,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = JwtRegisteredClaimNames.Sub,
            IssuerSigningKey = keys.Key,
            ValidateIssuerSigningKey = keys.Key is not null,
        };
        jwt.Events = new JwtBearerEvents
        {
            // Browsers cannot set headers on WebSocket and EventSource requests, so SignalR sends the token as access_token.
            OnMessageReceived = context =>
            {
                var token = context.Request.Query["access_token"];
                if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments(HubPath))
                {
                    context.Token = token;
                }
                // y-websocket's WebsocketProvider sends what its `params` hold: ?token=… (access_token works too); Hocuspocus
                // sockets may carry one for documents whose token message is empty.
                else if (context.HttpContext.Request.Path.StartsWithSegments(Protocols.YWebsocket.YWebsocketEndpoint.PathPrefix)
                    || context.HttpContext.Request.Path.StartsWithSegments(Protocols.Hocuspocus.HocuspocusEndpoint.Path))
                {
                    var query = context.Request.Query;
                    var socketToken = query["token"].ToString() is { Length: > 0 } t ? t : token.ToString();
                    if (socketToken.Length > 0) context.Token = socketToken;
                }
                return Task.CompletedTask;
            },
            // Every permission is granted to the token's subject: a token without one is no identity at all (401),
            // however well it is signed.
            OnTokenValidated = context =>
            {
                if (string.IsNullOrWhiteSpace(context.Principal?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value))
                {
                    context.Fail("The token has no 'sub' claim naming the user.");
                }
                return Task.CompletedTask;
            },
        };
    }
}
