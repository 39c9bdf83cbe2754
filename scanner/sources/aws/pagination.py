"""A bound on pagination: a listing whose service keeps handing out new next-page tokens
would otherwise hold its worker (and the scan) forever.

botocore's paginator stops a token repeated at once; a token that changes on every page
is only stopped here. The bound is far above any real listing (10,000 pages is 500,000
Lambda functions or log groups at their page sizes) and is reached only when a service,
or something between it and us, misbehaves: the listing then fails like any other API
call, with a scan error, and its rules answer unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

MAX_PAGES = 10_000


class EndlessPagination(RuntimeError):
    """A listing still had a next page after MAX_PAGES pages."""


def bounded(pages: Iterable[Any], limit: int | None = None) -> Iterator[Any]:
    """The pages, raising EndlessPagination at the first page beyond the bound."""
    bound = MAX_PAGES if limit is None else limit
    for count, page in enumerate(pages, start=1):
        if count > bound:
            raise EndlessPagination(
                f"pagination did not end after {bound:,} pages (the service kept answering with a "
                "new next-page token); what those pages listed is unknown"
            )
        yield page
