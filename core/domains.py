"""Mail domains: the registrable domain of a host name, and how our own company's domains are decided.

``support.ourco.com`` and ``mail.ourco.co.uk`` belong to ``ourco.com`` and ``ourco.co.uk``: which part of a name an
organisation registered is read from the Public Suffix List, the snapshot bundled with tldextract (never fetched:
intake runs offline and must not depend on a download).
"""

from __future__ import annotations

import functools

from core.settings import Settings


@functools.cache
def _extractor():
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@functools.lru_cache(maxsize=4096)
def registrable_domain(domain: str) -> str:
    """The domain an organisation registered (``support.ourco.com`` -> ``ourco.com``), lower-cased.

    A name with no known public suffix (``localhost``, an internal ``corp`` name) is returned as it is.
    """
    domain = (domain or "").strip().strip(".").lower()
    if not domain or len(domain) > 253:
        return domain
    found = _extractor()(domain)
    return found.top_domain_under_public_suffix or domain


def guessed_inbox_domain(settings: Settings) -> str | None:
    """What Settings should say when ``ROTADESK_COMPANY_DOMAINS`` is unset, or None when it is set.

    Without it, each message's inbox domain (``Delivered-To``, ``X-Original-To`` or ``To``, as its registrable
    domain) stands in for our company's: forwards from it are read as staff's, never trusted.
    """
    if settings.company_domains:
        return None
    user = settings.imap_user or ""
    guess = registrable_domain(user.rpartition("@")[2]) if "@" in user else ""
    where = f" (for this inbox, {guess})" if guess else ""
    return ("ROTADESK_COMPANY_DOMAINS is unset, so our company's domain is guessed from each message: the "
            f"registrable domain of its Delivered-To, X-Original-To or To address{where}. Forwards from it are read "
            "as staff's but not trusted; set the setting to say which domains are ours.")
