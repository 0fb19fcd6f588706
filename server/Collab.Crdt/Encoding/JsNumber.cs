using System.Globalization;

namespace Collab.Crdt.Encoding;

/// <summary>JavaScript number semantics: <c>Number.prototype.toString()</c> and the engine's numeric representation.</summary>
public static class JsNumber
{
    private const double MaxSafe = 9007199254740991.0;

    /// <summary>Integral doubles within ±(2^53-1) become long (except -0, which stays a double); others stay double.</summary>
    public static object Normalize(double d)
    {
        if (double.IsInteger(d) && Math.Abs(d) <= MaxSafe && !(d == 0 && double.IsNegative(d)))
        {
            return (long)d;
        }

        return d;
    }

    /// <summary>Prints a long the way JavaScript prints the number (exact up to 2^53).</summary>
    public static string ToString(long value)
    {
        if (Math.Abs((double)value) <= MaxSafe)
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }

        return ToString((double)value);
    }

    /// <summary>JavaScript <c>String(number)</c>: shortest round-trip digits, exponent form outside 1e-7..1e21.</summary>
    public static string ToString(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return "Infinity";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Infinity";
        }

        if (value == 0)
        {
            return "0";
        }

        // Find the shortest representation that round-trips ("R" on .NET Core 3+ is shortest).
        string r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        string mantissa = r;
        int exp10 = 0;
        int ePos = r.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            mantissa = r[..ePos];
            exp10 = int.Parse(r.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string fracPart = dot >= 0 ? mantissa[(dot + 1)..] : string.Empty;
        string digits = (intPart + fracPart).TrimStart('0');
        int leadingZeros = (intPart + fracPart).Length - digits.Length;
        // value = 0.digits * 10^n
        int n = intPart.Length - leadingZeros + exp10;
        digits = digits.TrimEnd('0');
        int k = digits.Length;
        var sb = new System.Text.StringBuilder();
        if (value < 0)
        {
            sb.Append('-');
        }

        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k);
        }
        else if (n > 0 && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (n > -6 && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            int e = n - 1;
            sb.Append(digits[0]);
            if (k > 1)
            {
                sb.Append('.').Append(digits, 1, k - 1);
            }

            sb.Append('e').Append(e >= 0 ? '+' : '-').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
