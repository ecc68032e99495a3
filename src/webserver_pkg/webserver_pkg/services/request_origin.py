"""Whether a request comes from the console's own pages or from another site, as a browser tells it.

Why: a route that works without a login (the login page's STOP) cannot rely on the session's CSRF token, so any
web page a person opens on the event's network could post to it, and a browser sends such a cross-site POST
without asking anyone. Browsers say where a request comes from: `Sec-Fetch-Site` (Chromium 76+, Firefox 90+,
Safari 16.4+), else `Origin` (sent on every cross-origin POST), else `Referer` (which an older browser may send
alone). The first of these a request carries decides; a request with none of them is not from a web page (curl, a
tool at the car), which no other site can make a browser send.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

# "none": the person typed or bookmarked it (no page sent it); "same-origin": the console's own page.
OWN_FETCH_SITES = {"same-origin", "none"}


def _origin_of(url: str) -> str | None:
    """scheme://host[:port] of a URL, with the scheme's default port left out; None for one that has no origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def foreign_source(headers: Mapping[str, str], scheme: str, host: str) -> str:
    """Why the request was sent by another site's page ("" when it was not): `host` is the Host header the browser
    used to reach this server, `scheme` the request's own."""
    own = _origin_of(f"{scheme}://{host}")
    fetch_site = headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch_site:
        return "" if fetch_site in OWN_FETCH_SITES else f"sent by a page of another site (Sec-Fetch-Site {fetch_site})"
    origin = headers.get("Origin", "").strip()
    if origin:
        return "" if _origin_of(origin) == own and own else f"sent by a page of another origin ({origin[:80]})"
    referer = headers.get("Referer", "").strip()
    if referer:
        return "" if _origin_of(referer) == own and own else "sent by a page of another origin (its Referer)"
    return ""
