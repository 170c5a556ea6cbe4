"""The pieces of fetching: address checks, Retry-After, URL identity and file names, settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from index.config import CoreSettings
from index.fetch import (
    FetchRefused,
    check_url,
    file_name_for,
    is_public,
    markdown,
    retry_after_seconds,
    url_key,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1%eth0",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_private_loopback_and_other_local_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a", "javascript:alert(1)", "example.com/a"]
)
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(FetchRefused, match="only http and https"):
        check_url(url)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2025, 5, 14, 8, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Wed, 14 May 2025 08:05:00 GMT", now) == 300
    assert retry_after_seconds("Wed, 14 May 2025 07:00:00 GMT", now) == 0
    assert retry_after_seconds(None, now) == 60
    assert retry_after_seconds("soon", now) == 60


def test_the_file_name_is_stable_and_ignores_fragments_and_tracking() -> None:
    url = "https://www.Example.com/world/2025/05/ferry-vote.html"
    name = file_name_for(url)
    assert name == file_name_for("https://www.example.com/world/2025/05/ferry-vote.html#comments")
    assert name == file_name_for(url + "?utm_source=rss&utm_medium=feed")
    assert name.startswith("example.com_world-2025-05-ferry-vote_") and name.endswith(".md")
    assert name != file_name_for("https://www.example.com/world/2025/05/ferry-vote.html?page=2")
    assert url_key(url) == url_key(url + "#top")


def test_front_matter_is_yaml_that_keeps_odd_titles_intact() -> None:
    import yaml

    text = markdown({"title": 'Vučić: "no" — yes', "outlet": None, "date": "2025-05-14"}, "Body.")
    head = text.split("---\n")[1]
    assert yaml.safe_load(head) == {"title": 'Vučić: "no" — yes', "date": "2025-05-14"}
    assert text.endswith("---\nBody.\n")


def test_feed_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_FEEDS", " https://a.example/rss , https://b.example/atom.xml,")
    monkeypatch.setenv("DISCORD_FEED_CHANNEL_ID", "")
    core = CoreSettings(_env_file=None)
    assert core.feeds == ["https://a.example/rss", "https://b.example/atom.xml"]
    assert core.feed_minutes == 30 and not core.fetch_allow_private
