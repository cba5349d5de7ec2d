"""The one ``requests.Session`` factory for registry traffic.

* ``User-Agent: base-image-bot/<version>``;
* an :class:`~requests.adapters.HTTPAdapter` whose urllib3 ``Retry`` retries connection errors,
  read errors and 500/502/503/504 on GET/HEAD with exponential backoff, then returns the last
  response instead of raising;
* 429 is *not* retried here: :mod:`bot.registry.transport` handles it (``Retry-After``, then
  marking the registry rate-limited for the run);
* TLS verification from settings (``ca_bundle`` path or ``verify_tls``; the transport passes
  the per-host value from :meth:`RegistrySettings.verify_for` on every request);
* no automatic redirects: the transport follows them itself so ``Authorization`` never leaves
  the registry's origin. Timeouts are passed on every call by the transport;
* connections register with the request's total deadline (:mod:`bot.registry.deadline`);
* :func:`send` hands a request straight to the session's adapter: no cookies (the registry
  protocol uses none; Docker's and containerd's clients keep no cookie jar either), no
  redirect bookkeeping (the transport follows redirects), no per-request scan of the
  environment (the transport passes the proxies it read once per origin).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from urllib3.util.retry import Retry

from bot import __version__
from bot.registry.deadline import deadline_pools
from bot.registry.settings import RegistrySettings

__all__ = ["USER_AGENT", "DeadlineAdapter", "make_session", "send"]

USER_AGENT = f"base-image-bot/{__version__}"

#: The cookies every registry request carries: none (never written to).
_NO_COOKIES = RequestsCookieJar()


def make_retry(settings: RegistrySettings) -> Retry:
    """The urllib3 retry policy for 5xx and connection errors."""
    return Retry(
        total=settings.max_retries,
        connect=settings.max_retries,
        read=settings.max_retries,
        status=settings.max_retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=(500, 502, 503, 504),
        backoff_factor=settings.backoff_factor,
        backoff_max=max(settings.backoff_factor * 8, 1.0),
        respect_retry_after_header=False,  # else urllib3 would also retry 429 itself
        raise_on_status=False,
        raise_on_redirect=False,
    )


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections serve the total deadline of the request they send."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = deadline_pools()

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = deadline_pools()
        return manager


def make_session(settings: RegistrySettings) -> requests.Session:
    """A session with retries, pooling sized to the per-host concurrency, TLS settings, UA."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.trust_env = False  # no ~/.netrc credentials, no proxy surprises
    session.verify = settings.ca_bundle if settings.ca_bundle else settings.verify_tls
    adapter = DeadlineAdapter(
        max_retries=make_retry(settings),
        pool_connections=16,
        pool_maxsize=max(16, 2 * settings.concurrency_per_host),  # slots limit in-flight requests
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def send(
    session: requests.Session,
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    timeout: tuple[float, float],
    proxies: Mapping[str, str],
    verify: bool | str,
) -> requests.Response:
    """``method url`` through ``session``'s adapter, its body left to stream.

    What ``Session.request`` would send, with the session's headers (``User-Agent``...) under
    ``headers``, minus its per-request work the registry client does not use: merging and
    extracting cookies, redirect resolution, hooks, reading proxy settings from the
    environment (a quarter of the CPU time of a ``HEAD`` on loopback).
    """
    merged = CaseInsensitiveDict(session.headers)
    merged.update(headers)
    prepared = requests.PreparedRequest()
    prepared.prepare(method=method, url=url, headers=merged, cookies=_NO_COOKIES)
    return session.get_adapter(url).send(
        prepared, stream=True, timeout=timeout, proxies=dict(proxies), verify=verify
    )
