"""Server-rendered pages (Jinja2, vendored htmx and ECharts). Chinese first, English on switch."""
