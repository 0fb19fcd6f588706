using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>A logger provider that keeps every entry, so that tests can check what the server logged and how loudly.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception)
    {
        /// <summary>About what a text log line of this entry would take.</summary>
        public int Size => Category.Length + Message.Length + (Exception?.ToString().Length ?? 0);
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
    }
}
