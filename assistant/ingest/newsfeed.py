"""Split a plain-text dump of an RSS news feed into one record per news item."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

_DATE = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? [+-]\d{4}"
# The dump reads: channel header, lastBuildDate, then per item "title link description pubDate".
# So a date is followed by the next item's title and link, and each item's own date ends its body.
_ITEM_START = re.compile(rf"(?P<date>{_DATE})[ \t]*\n?[ \t]*(?P<title>[^\n]+?)[ \t]+(?P<url>https?://\S+)")
_TRAILING_DATE = re.compile(rf"\s*(?P<date>{_DATE})\s*$")
_MIN_ITEMS = 3


@dataclass(frozen=True, slots=True)
class NewsItem:
    title: str
    date: str  # ISO date
    url: str
    text: str  # the item's summary and body


def looks_like_feed(text: str) -> bool:
    """Return True when `text` reads as an RSS dump: several dated items each with a title and link."""
    return len(_ITEM_START.findall(text[:200_000])) >= _MIN_ITEMS or (
        "http://blogs.law.harvard.edu/tech/rss" in text[:2000] and bool(_ITEM_START.search(text))
    )


def split_feed(text: str) -> list[NewsItem]:
    """Return the news items of a feed dump in feed order; the channel header is dropped."""
    matches = list(_ITEM_START.finditer(text))
    items = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end() : end].strip()
        if i + 1 < len(matches):
            raw_date = matches[i + 1]["date"]
        else:
            trailing = _TRAILING_DATE.search(body)
            raw_date = trailing["date"] if trailing else match["date"]
            body = body[: trailing.start()].strip() if trailing else body
        try:
            date = parsedate_to_datetime(raw_date).date().isoformat()
        except (TypeError, ValueError):
            date = ""
        items.append(NewsItem(title=match["title"].strip(), date=date, url=match["url"].rstrip(".,;"), text=body))
    return items
