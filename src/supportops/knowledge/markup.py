"""Article text: Markdown in, sanitized HTML and plain text out.

Raw HTML inside the Markdown is cleaned where it stands, before anything is stored, so that a script
or an event handler is stripped from the source as well as from the rendering; the rendering is then
sanitized once more. The plain text (one line per block) is what search indexes and what snippets
quote.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "s",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "ol": {"start"},
}
_SCHEMES = {"http", "https", "mailto"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_SPACE = re.compile(r"\s+")


def clean_html(fragment: str) -> str:
    """Only harmless tags and attributes; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        fragment,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _raw_html(tokens: list[Token]) -> list[tuple[Token, list[str]]]:
    """Each block holding raw HTML, with the raw pieces in it."""
    found: list[tuple[Token, list[str]]] = []
    for token in tokens:
        if token.type == "html_block":
            found.append((token, [token.content]))
        elif token.type == "inline" and token.children:
            pieces = [c.content for c in token.children if c.type == "html_inline"]
            if pieces:
                found.append((token, pieces))
    return found


def sanitize_source(markdown: str) -> str:
    """The Markdown with every raw HTML piece replaced by its cleaned form (``<script>`` and
    ``onerror=`` gone); Markdown without raw HTML comes back unchanged."""
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    tokens = _MD.parse(markdown)
    lines = markdown.split("\n")
    # From the end backwards, so that a cleaned block of another length moves no later block.
    for token, pieces in sorted(_raw_html(tokens), key=lambda found: -(found[0].map or (0, 0))[0]):
        if token.map is None:
            continue
        start, end = token.map
        block = "\n".join(lines[start:end])
        for piece in pieces:
            block = block.replace(piece.rstrip("\n"), clean_html(piece.rstrip("\n")), 1)
        lines[start:end] = block.split("\n")
    return "\n".join(lines)


def render(markdown: str) -> str:
    """Sanitized HTML for readers."""
    return clean_html(_MD.render(markdown))


def plain_text(markdown: str) -> str:
    """The words of the article, one line per paragraph, heading, list item or table cell row."""
    blocks: list[str] = []
    for token in _MD.parse(markdown):
        if token.type in ("inline", "code_block", "fence", "html_block"):
            text = nh3.clean(token.content, tags=set()) if token.type != "inline" else _inline_text(token)
            text = _SPACE.sub(" ", html.unescape(text)).strip()
            if text:
                blocks.append(text)
    return "\n".join(blocks)


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def sentences(text: str) -> list[str]:
    """Lines, each split further at sentence ends: the passages search matches a question against."""
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out
