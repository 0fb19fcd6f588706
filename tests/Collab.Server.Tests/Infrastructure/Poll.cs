namespace Collab.Server.Tests.Infrastructure;

/// <summary>Waits for a condition that the server reaches in the background (no timed asserts: 30 s is a fuse).</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"Waited 30 s for {what}.");
            await Task.Delay(20);
        }
    }
}
