"""PDF for sign-off: the HTML report's page, without its filter, laid out by WeasyPrint.

WeasyPrint is optional (the ``pdf`` extra, plus Pango from the system); when
it is missing the caller gets a one-line error naming the install. It may
fetch nothing: the page carries its thumbnails as ``data:`` URIs, and every
other URL (a hostile value that somehow became one) is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from provenance.errors import UsageError

from . import html_report


class PdfUnavailable(UsageError):
    """WeasyPrint cannot be imported; the message says what to install."""


def render(data: dict[str, Any], thumbs: Mapping[str, str] | None = None) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Python package is there, Pango is not
        raise PdfUnavailable(f"PDF output needs WeasyPrint ({exc}); install it with "
                             "`pip install 'provenance[pdf]'` (and Pango: Debian package libpango-1.0-0), "
                             "or use --format html") from None
    page = html_report.render(data, thumbs, interactive=False)
    # WeasyPrint logs every screen-only CSS rule it skips (sticky, print-color-adjust): noise, not news.
    log = logging.getLogger("weasyprint")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        pdf = weasyprint.HTML(string=page, url_fetcher=_fetcher(weasyprint)).write_pdf()
    finally:
        log.setLevel(level)
    assert isinstance(pdf, bytes)
    return pdf


def _fetcher(weasyprint: Any) -> Any:
    if hasattr(weasyprint, "URLFetcher"):  # WeasyPrint 66 and later
        return weasyprint.URLFetcher(allowed_protocols=("data",))
    from weasyprint.urls import default_url_fetcher

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        if not url.startswith("data:"):
            raise ValueError(f"the report fetches nothing: {url[:40]!r} refused")
        return default_url_fetcher(url, *args, **kwargs)

    return fetch
