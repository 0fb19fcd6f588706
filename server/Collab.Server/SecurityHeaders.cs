namespace Collab.Server;

/// <summary>
/// Response headers that keep browsers from misusing what the server sends: no MIME sniffing, no framing by other
/// sites, no referrer leaking document ids, and a content security policy for the landing page and the browser sample
/// (scripts from this origin only; inline styles allowed because the editors set them). The API reference under
/// <c>/scalar</c> loads its scripts from a CDN, so it gets only the framing rule.
/// </summary>
internal static class SecurityHeaders
{
    public const string AppPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public const string ReferencePolicy = "frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/scalar") ? ReferencePolicy : AppPolicy;
        return next(context);
    });
}
