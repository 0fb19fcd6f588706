using System.Net.Http.Json;
using System.Text.Json;

namespace Collab.Client;

public sealed partial class CollabClient
{
    /// <summary>
    /// Development sign-in: <c>POST /api/dev/token {"user"}</c> → the JWT (only on servers in Development).
    /// </summary>
    public static async Task<string> SignInAsync(Uri serverUrl, string user, HttpClient http, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.PostAsJsonAsync(new Uri(serverUrl, "api/dev/token"), new { user }, cancellationToken)
            .ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Sign-in as {user} failed: {(int)response.StatusCode} {body}", null, response.StatusCode);
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()
            ?? throw new HttpRequestException("Sign-in answered without a token.");
    }
}
