"""A digest as plain text, HTML (templates/programme/digest/) and a Slack Block Kit message.
All three show the same items; links are absolute (``SITE_URL``)."""

import json

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .build import Digest

EMAIL_ITEMS = 25  # per section in an e-mail; the rest are counted

# Slack's limits (https://api.slack.com/reference/block-kit/blocks): a message holds at most 50
# blocks, a section's text at most 3000 characters and a header's at most 150.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION_TEXT = 3000
SLACK_MAX_HEADER = 150


def absolute(path: str | None) -> str | None:
    if not path:
        return None
    return settings.SITE_URL.rstrip("/") + path


def _shown(items: list[dict], cap: int) -> tuple[list[dict], int]:
    """The items shown and how many more there are (a section's full count may exceed what it
    read: ``total`` on its items says so)."""
    total = max(len(items), items[0].get("total", 0) if items else 0)
    shown = items[:cap]
    return shown, total - len(shown)


def _sections(digest: Digest, cap: int) -> list[dict]:
    sections = []
    for section in digest.sections:
        shown, more = _shown(section["items"], cap)
        sections.append(
            {
                "title": section["title"],
                "items": [{**item, "url": absolute(item.get("path"))} for item in shown],
                "more": more,
            }
        )
    return sections


def _context(digest: Digest) -> dict:
    return {
        "digest": digest,
        "user": digest.user,
        "sections": _sections(digest, EMAIL_ITEMS),
        "site_url": absolute("/"),
        "profile_url": absolute(reverse("roles:profile")),
    }


def digest_text(digest: Digest) -> str:
    return render_to_string("programme/digest/digest.txt", _context(digest)).strip() + "\n"


def digest_html(digest: Digest) -> str:
    return render_to_string("programme/digest/digest.html", _context(digest))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(item: dict) -> str:
    text = _slack_escape(item["text"])
    url = absolute(item.get("path"))
    return f"• <{url}|{text}>" if url and url.startswith("http") else f"• {text}"


def _slack_section_text(title: str, items: list[dict], more: int) -> str:
    """The section's lines, as many as fit in one block's text, then "and N more"."""
    heading = f"*{_slack_escape(title)}*"
    lines: list[str] = []
    for index, item in enumerate(items):
        line = _cut(_slack_line(item), SLACK_MAX_SECTION_TEXT // 2)
        left = len(items) - index - 1 + more
        # Room for this line and, if anything is left after it, the "and N more" line.
        tail = len(f"\n… and {len(items) + more} more") if left else 0
        if len("\n".join([heading, *lines, line])) + tail > SLACK_MAX_SECTION_TEXT:
            more += len(items) - index
            break
        lines.append(line)
    if more:
        lines.append(f"… and {more} more")
    return "\n".join([heading, *lines])


def digest_slack(digest: Digest) -> dict:
    """The Block Kit message: a header, then a section per digest section, within the limits."""
    blocks = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(digest.subject, SLACK_MAX_HEADER)},
        }
    ]
    sections = digest.sections
    # Keep the last block for a closing line when sections must be dropped.
    room = SLACK_MAX_BLOCKS - 1
    if len(sections) > room:
        room -= 1
    for section in sections[:room]:
        shown, more = _shown(section["items"], len(section["items"]))
        text = _slack_section_text(section["title"], shown, more)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    dropped = len(sections) - len(sections[:room])
    if dropped:
        text = f"… and {dropped} more sections: open GrowthOps to read them"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return {"text": digest.subject, "blocks": blocks}


def slack_body(digest: Digest) -> bytes:
    return json.dumps(digest_slack(digest), default=str).encode()
