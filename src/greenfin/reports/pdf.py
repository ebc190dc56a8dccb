"""HTML → PDF with WeasyPrint and an embedded CJK font.

WenQuanYi Micro Hei (TrueType) is the first choice: WeasyPrint subsets it in about a second, while
Noto Sans CJK (CFF outlines) costs several seconds per face (measured, see the reference stack
notes). Runtime code never reaches the network: any URL other than ``data:`` is refused.
"""

from __future__ import annotations

from typing import Any

CJK_FONT_STACK = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif'

BASE_CSS = f"""
@page {{ size: A4; margin: 18mm 16mm 20mm 16mm;
        @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; }} }}
body {{ font-family: {CJK_FONT_STACK}; font-size: 10pt; line-height: 1.5; color: #111; }}
h1 {{ font-size: 17pt; margin: 0 0 6pt; }}
h2 {{ font-size: 13pt; margin: 14pt 0 4pt; border-bottom: 1px solid #888; }}
h3 {{ font-size: 11pt; margin: 10pt 0 3pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }}
th, td {{ border: 1px solid #999; padding: 2pt 4pt; font-size: 9pt; vertical-align: top; }}
th {{ background: #eef3ee; }}
td.num {{ text-align: right; }}
.missing {{ color: #a00; }}
.note {{ font-size: 8pt; color: #444; }}
"""


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries (pango) are not installed."""


def _offline_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"refusing to fetch {url!r}: PDF rendering never reaches the network")


def html_to_pdf(html: str, *, extra_css: str = "") -> bytes:
    """Render an HTML document (already escaped by its template) to PDF bytes.

    Images must be inline (``data:`` URLs, e.g. SVG charts); nothing is fetched."""
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise PdfUnavailable(f"PDF rendering needs WeasyPrint and pango: {exc}") from exc
    stylesheets = [CSS(string=BASE_CSS)]
    if extra_css:
        stylesheets.append(CSS(string=extra_css))
    document = HTML(string=html, url_fetcher=_offline_fetcher)
    return document.write_pdf(stylesheets=stylesheets)
