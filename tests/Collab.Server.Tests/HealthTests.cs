using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Collab.Server.Tests;

public sealed class HealthTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task healthz_answers_ok()
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
