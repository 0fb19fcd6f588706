using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;

namespace Collab.Cli;

/// <summary><c>collab import</c>: upload an export file to a server, which verifies every hash before writing anything.</summary>
internal static class TransferCommands
{
    public static Command Import()
    {
        var file = new Argument<FileInfo>("file") { Description = "An export file (collab.export.v1)." };
        var command = new Command("import", "Import an export file into a server (you become its owner): every hash is verified first; a tampered file is refused naming the event.") { file };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            var info = parse.GetValue(file)!;
            await using var input = info.OpenRead();
            JsonElement result = default;
            await Program.Progress.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("import: upload", maxValue: Math.Max(1, info.Length));
                await using var counted = new ProgressStream(input, read => task.Increment(read));
                using var content = new StreamContent(counted, 1 << 16);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                using var response = await http.PostAsync(new Uri("api/documents/import", UriKind.Relative), content, ct).ConfigureAwait(false);
                task.Description = "import: verified and written";
                task.StopTask();
                await Program.EnsureAsync(response, ct).ConfigureAwait(false);
                result = await response.Content.ReadFromJsonAsync<JsonElement>(Program.Json, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            if (Program.JsonOutput(parse))
            {
                Program.Print(result);
                return Program.Valid;
            }
            var table = new Table().AddColumns("Branch", "Head", "Head hash");
            foreach (var b in result.GetProperty("branches").EnumerateArray())
            {
                table.AddRow(Markup.Escape(b.GetProperty("branch").GetString()!), b.GetProperty("seq").GetInt64().ToString(CultureInfo.InvariantCulture), b.GetProperty("hash").GetString()!);
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[green]imported[/]: document {Markup.Escape(result.GetProperty("documentId").GetString()!)}, {result.GetProperty("events").GetInt64():N0} events, every hash verified.");
            return Program.Valid;
        });
        return command;
    }

    /// <summary>A read-only stream that reports how many bytes were read (for the upload's progress bar).</summary>
    private sealed class ProgressStream(Stream inner, Action<long> onRead) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            onRead(read);
            return read;
        }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            onRead(read);
            return read;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
