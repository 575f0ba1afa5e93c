"""Every HTTP receiver bounds what it reads (issue 17): the HubSpot webhook and the Slack app refuse a bad
Content-Length before reading a byte, as the Linear webhook does, and nothing reaches the app behind them."""

from __future__ import annotations

import threading

import pytest

from ingest import hubspot_webhook, slack_server
from tests.integration.test_webhook import raw_request


class NeverCalled:
    def __init__(self) -> None:
        self.calls: list[object] = []

    def __call__(self, *args: object) -> None:
        self.calls.append(args)

    def dispatch(self, *args: object):
        self.calls.append(args)
        raise AssertionError("a refused request reached the Slack app")


def hubspot_server(settings, app: NeverCalled):
    return hubspot_webhook.build_server(settings, "127.0.0.1", 0, act=app)


def slack(settings, app: NeverCalled):
    return slack_server.make_server(app, "127.0.0.1", 0)


@pytest.fixture(params=[hubspot_server, slack], ids=["hubspot-webhook", "slack"])
def receiver(request, settings):
    app = NeverCalled()
    server = request.param(settings, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], app
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("length", "status"), [
    (None, b"411"), (b"-1", b"400"), (b"abc", b"400"), (b"1e3", b"400"), (b"2000000", b"413"),
])
def test_bad_lengths_are_refused_before_any_body_is_read(receiver, length, status) -> None:
    port, app = receiver
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
    if length is not None:
        head += b"Content-Length: " + length + b"\r\n"
    answer = raw_request(port, head + b"\r\n" + b"x" * 10_000)
    assert answer.split(b" ")[1] == status and app.calls == []
