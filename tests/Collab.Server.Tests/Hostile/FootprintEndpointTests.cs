using System.Net;
using Collab.Server.Tests.Infrastructure;

namespace Collab.Server.Tests.Hostile;

/// <summary>The footprint endpoint is off unless an operator turns it on.</summary>
public sealed class FootprintEndpointTests
{
    [Fact]
    public async Task the_footprint_endpoint_is_not_served_by_default()
    {
        using var app = new CollabAppFactory();
        using var client = app.ClientFor("alice");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/api/diagnostics/footprint", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task when_enabled_only_listed_operators_may_read_it()
    {
        using var app = new CollabAppFactory { Overrides = { ["Collab:Diagnostics:Footprint"] = "true", ["Collab:Diagnostics:Operators:0"] = "ops" } };
        using var anonymous = app.CreateClient();
        using var alice = app.ClientFor("alice");
        using var ops = app.ClientFor("ops");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/diagnostics/footprint", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync(new Uri("/api/diagnostics/footprint", UriKind.Relative))).StatusCode);
        var footprint = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Collab.Server.Diagnostics.ServerFootprint>(ops, "/api/diagnostics/footprint", System.Text.Json.JsonSerializerOptions.Web);
        Assert.Equal(0, footprint!.HubConnections);
        Assert.True(footprint.ManagedHeapBytes > 0);
    }
}
