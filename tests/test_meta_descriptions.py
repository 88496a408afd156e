"""Public pages tell search engines and link previews what they are about: each has a meta
description of its own, and a position's is the summary its recruiter wrote."""

from __future__ import annotations

from html.parser import HTMLParser


class _MetaDescriptions(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("name") == "description":
            self.found.append(attributes.get("content") or "")


def meta_description(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = _MetaDescriptions()
    parser.feed(response.get_data(as_text=True))
    assert len(parser.found) == 1, f"{url} has {len(parser.found)} meta descriptions"
    return parser.found[0]


def test_each_public_page_has_a_description_of_its_own(app, client, factory):
    position = factory.position(title="Site Reliability Engineer", summary="Keep production calm.")
    public = ["/positions", f"/positions/{position.id}", "/auth/login", "/auth/signup"]
    descriptions = {url: meta_description(client, url) for url in public}
    default = meta_description(client, "/auth/reset")  # a page without one of its own

    for url, description in descriptions.items():
        assert description.strip(), f"{url} has an empty meta description"
        assert description != default, f"{url} only has the default meta description"
    assert len(set(descriptions.values())) == len(public), descriptions


def test_a_positions_description_is_its_summary_escaped(app, client, factory):
    summary = 'Ship "fast" & <safe> services for 40% of our users'
    position = factory.position(summary=summary, description="Something else entirely.")
    page = client.get(f"/positions/{position.id}").get_data(as_text=True)
    assert meta_description(client, f"/positions/{position.id}") == summary
    assert "<safe>" not in page


def test_a_position_without_a_summary_is_described_by_the_start_of_its_text(app, client, factory):
    position = factory.position(
        summary="",
        description=(
            "## What you do\n\nYou **build** the services behind [our catalogue](https://example.com). "
            + "You keep them fast, correct and easy to change. " * 10
        ),
    )
    description = meta_description(client, f"/positions/{position.id}")
    assert description.startswith("What you do You build the services behind our catalogue."), description
    assert len(description) <= 170
    assert not any(mark in description for mark in ("<", "*", "##", "](")), description
