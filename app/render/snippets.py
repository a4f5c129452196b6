"""Snippets to paste a result's chart into a wiki (Markdown, HTML, Confluence, MediaWiki), each with
its own escaper: every wiki syntax has its own special characters, and the alt text is the verdict,
which carries user-chosen option names (wiki markup injection).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import escape

# Line breaks, controls, zero-width and bidi-override characters: a snippet is one line of text.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\s]+")
# URL characters with no meaning in Markdown, HTML, Confluence or MediaWiki markup; the rest are
# percent-encoded (an already-encoded %XX stays as it is).
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._:/?#@&+=%")
# The characters outside _URL_SAFE, found in one pass (a page's five URLs are ~1,650 characters, nearly all safe).
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9\-._:/?#@&+=%]+")
# CommonMark: any ASCII punctuation may be backslash-escaped, and then is literal. Escaped here: what
# means something inside a link's text: [ ] (link), ! (image), ` (code span), < > (HTML, autolink),
# & (entity), * _ ~ (emphasis), | (GFM table cell), $ (math extensions), ( ) { } and \ itself.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()!|~&$])")
# Confluence wiki markup: ! ends the image macro, | and , split its parameters, " ends the alt value,
# { } start macros ({html}), [ ] links, \ escapes. Rather than rely on backslash escapes inside macro
# parameters, these become spaces.
_CONFLUENCE_SPECIAL = re.compile(r"""[!|,"{}\[\]\\]""")


def one_line(text: str) -> str:
    return _INVISIBLE.sub(" ", text).strip()


def _percent_encoded(unsafe: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in unsafe[0].encode())


def markup_url(url: str) -> str:
    """`url` with every character outside _URL_SAFE percent-encoded (its UTF-8 bytes, upper-case hex)."""
    return _URL_UNSAFE.sub(_percent_encoded, url)


def markdown_text(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", one_line(text))


def html_attribute(text: str) -> str:
    return str(escape(one_line(text)))  # markupsafe: & < > " ' all escaped


def confluence_text(text: str) -> str:
    return " ".join(_CONFLUENCE_SPECIAL.sub(" ", one_line(text)).split())


def mediawiki_comment(text: str) -> str:
    """Text that stays inside <!-- ... -->: no "--" (which ends a comment) and no ~~~ (a signature)."""
    text = one_line(text)
    while "--" in text or "~~~" in text:
        text = text.replace("--", "- -").replace("~~~", "~ ~ ~")
    return text


@dataclass(frozen=True)
class EmbedLinks:
    """Where this result's chart lives, and the snippets to paste it into a wiki."""

    page_url: str
    svg_url: str
    png_url: str
    embed_url: str
    csv_url: str
    alt: str
    saved: bool

    def snippets(self) -> list[tuple[str, str]]:
        """Each snippet escapes the alt text and URLs for its own syntax (wiki markup injection)."""
        page, svg, png, embed = (markup_url(u) for u in (self.page_url, self.svg_url, self.png_url, self.embed_url))
        md_alt, html_alt = markdown_text(self.alt), html_attribute(self.alt)
        return [
            ("Markdown", f"[![{md_alt}]({svg})]({page})"),
            (
                "HTML image",
                f'<a href="{html_attribute(page)}"><img src="{html_attribute(svg)}" alt="{html_alt}" width="720"></a>',
            ),
            (
                "HTML iframe",
                f'<iframe src="{html_attribute(embed)}" title="{html_alt}" width="740" height="470" loading="lazy" '
                'style="border:0"></iframe>',
            ),
            ("Confluence (wiki markup)", f'!{png}|alt="{confluence_text(self.alt)}",width=720!'),
            ("MediaWiki", f"[{page} {png}]\n<!-- {mediawiki_comment(self.alt)} -->"),
        ]
