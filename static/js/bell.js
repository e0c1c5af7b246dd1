// The bell's EventSource for htmx's SSE extension (templates/notifications/_bell.html). A stream that ends after
// its time reconnects by itself (the `retry:` the server sends), and a 204 from a full server means "no stream
// here, the 60 s poll counts instead" (blueprints/notifications/live.py). The extension treats both as errors: it
// logs each to the console and reconnects a closed stream on its own backoff, undoing the 204. Its
// `htmx.createEventSource` hook is ours to fill, so the source we hand it keeps the browser's own behaviour and
// ignores the extension's error handler.
if (window.htmx) {
  htmx.createEventSource = function (url) {
    const source = new EventSource(url, { withCredentials: true });
    Object.defineProperty(source, "onerror", { get: () => null, set: () => {} });
    return source;
  };
}
