using System.Globalization;

namespace Collab.Documents.History;

/// <summary>The pause that ends an activity session, as requests and the CLI write it (<c>groupGap=</c>).</summary>
public static class GroupGap
{
    /// <summary>Parses a pause: <c>90s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>, a number of seconds, or <c>hh:mm:ss</c>.</summary>
    public static TimeSpan? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        var unit = text[^1];
        var number = char.IsLetter(unit) ? text[..^1] : text;
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value > 0 && value < 1e9)
        {
            return unit switch
            {
                's' => TimeSpan.FromSeconds(value),
                'm' => TimeSpan.FromMinutes(value),
                'h' => TimeSpan.FromHours(value),
                'd' => TimeSpan.FromDays(value),
                _ when !char.IsLetter(unit) => TimeSpan.FromSeconds(value),
                _ => throw new CollabException(CollabErrorCode.Invalid, $"Unknown unit in groupGap '{text}': use s, m, h or d."),
            };
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero) return span;
        throw new CollabException(CollabErrorCode.Invalid, $"groupGap '{text}' is not a duration (e.g. 90s, 5m, 2h).");
    }
}
