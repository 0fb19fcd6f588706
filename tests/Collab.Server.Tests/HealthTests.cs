using System.Net;
using Collab.Server.Tests.Infrastructure;

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

    [Fact]
    public async Task the_root_serves_a_landing_page_that_links_the_sample_and_the_api_reference()
    {
        using var client = factory.CreateClient();
        var page = await client.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("/app/", page, StringComparison.Ordinal);
        Assert.Contains("/scalar", page, StringComparison.Ordinal);
    }
}
