using System.Net;

namespace Collab.Server.Tests;

public sealed class HealthTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    [Fact]
    public async Task healthz_answers_ok_without_a_token()
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}
