using System.Text.Json;
using Collab.Client;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;

namespace Collab.Client.ConsoleSample;

/// <summary>
/// Console sample: signs in with the development token, joins a document, prints its text whenever someone else
/// changes it, and appends each line typed on stdin. Usage:
/// <c>collab-console [--server http://localhost:5050] [--user carol] [--doc ID | --create "Title"] [--branch main]</c>
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string server = Arg(args, "--server") ?? "http://localhost:5050";
        string user = Arg(args, "--user") ?? Environment.UserName;
        string branch = Arg(args, "--branch") ?? "main";
        string? documentId = Arg(args, "--doc");
        string? create = Arg(args, "--create");
        var baseUrl = new Uri(server.TrimEnd('/') + "/");

        using var http = new HttpClient();
        string token = await CollabClient.SignInAsync(baseUrl, user, http);
        if (documentId is null)
        {
            if (create is null)
            {
                Console.Error.WriteLine("give --doc ID to open a document, or --create \"Title\" to make one");
                return 2;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "api/documents"))
            {
                Content = new StringContent(JsonSerializer.Serialize(new { title = create }), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", token);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            documentId = body.RootElement.GetProperty("id").GetString()!;
            Console.WriteLine($"created {documentId}");
        }

        await using var client = new CollabClient(new CollabClientOptions
        {
            ServerUrl = baseUrl,
            AccessTokenProvider = () => Task.FromResult<string?>(token),
        });
        client.Error += e => Console.Error.WriteLine($"! {e.Message}");
        await client.ConnectAsync();

        var doc = new YDoc();
        var text = doc.GetText("content");
        using var awareness = new Awareness(doc.ClientId);
        awareness.SetLocalState(JsonSerializer.SerializeToElement(new { user = new { name = user, color = "#8acb88" } }));
        var connection = await client.OpenAsync(documentId, branch, doc, awareness);
        connection.Refused += (_, e) => Console.Error.WriteLine($"! refused: {e.Message}");
        connection.RemoteUpdate += _ => Console.WriteLine($"--- {documentId}@{branch} ---\n{text}\n---");
        awareness.Change += (_, change) =>
        {
            foreach (uint id in change.Added)
            {
                if (id != awareness.ClientId && awareness.States.TryGetValue(id, out var state))
                {
                    Console.WriteLine($"+ {state}");
                }
            }
        };
        await connection.Synced;
        Console.WriteLine($"joined {documentId}@{branch} as {user} ({connection.Role}), head seq {connection.HeadSeq}");
        Console.WriteLine(connection.Read(() => text.ToString()));
        Console.WriteLine("type a line to append it; an empty line or end of input quits");

        while (Console.ReadLine() is { Length: > 0 } line)
        {
            connection.Transact(() => text.Insert(text.Length, line + "\n"));
            await connection.FlushAsync();
            Console.WriteLine($"saved at seq {connection.LastAckSeq}");
        }

        await connection.DisposeAsync();
        return 0;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
