"""The HTML report read back as the browser's parser reads it (the standard library's HTMLParser): a small tree
of elements to find by tag, attribute or class, and the checks every page must pass."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that have no end tag.
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
# Attributes that make a browser fetch something, or navigate.
FETCHING = frozenset({"src", "href", "srcset", "action", "formaction", "poster", "data", "background", "ping"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        value = self.attrs[name]
        assert value is not None
        return value

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        """The text of the element and its descendants, as textContent gives it."""
        return "".join(child if isinstance(child, str) else child.text for child in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> list[Element]:
        """The descendants (and the element itself) of ``tag`` with class ``cls`` and the attribute values given
        (``data_zone="x"`` is data-zone)."""

        def wanted(element: Element) -> bool:
            return (
                (tag is None or element.tag == tag)
                and (cls is None or cls in element.classes)
                and all(element.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items())
            )

        return [element for element in self.iter() if wanted(element)]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Element:
        """The one element that matches."""
        (found,) = self.find_all(tag, cls=cls, **attrs)
        return found


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Element:
    """The page's tree; an end tag that closes another element than the last one opened fails."""
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], f"unclosed: {[element.tag for element in builder.stack[1:]]}"
    return builder.root


def csp_sources(document: Element) -> dict[str, list[str]]:
    """The page's Content-Security-Policy, by directive."""
    (meta,) = document.find_all("meta", http_equiv="Content-Security-Policy")
    directives = [part.split() for part in meta["content"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


def digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def assert_self_contained(document: Element, *, links: frozenset[str] = frozenset()) -> None:
    """Nothing the page holds is fetched from anywhere: no attribute that fetches or navigates names another
    origin (a link within the page, ``#...``, or one of ``links``, which a person may follow, is allowed); no
    element that loads a resource; the policy refuses everything but the page's own script and style, by hash."""
    for element in document.iter():
        for name in FETCHING & element.attrs.keys():
            value = element[name]
            assert value.startswith("#") or (element.tag == "a" and value in links), f"<{element.tag} {name}={value}>"
        assert element.tag not in {"link", "img", "iframe", "object", "embed", "base", "form", "audio", "video"}
    (script,) = document.find_all("script")
    (style,) = document.find_all("style")
    assert "url(" not in style.text
    assert "@import" not in style.text
    assert csp_sources(document) == {
        "default-src": ["'none'"],
        "script-src": [digest(script.text)],
        "style-src": [digest(style.text)],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }


def grid_cells(document: Element, endpoint_id: str) -> dict[str, str]:
    """The zone grid's cells of one endpoint: each zone id's state."""
    (row,) = document.find_all("tr", data_endpoint=endpoint_id)
    return {cell["data-zone"]: cell.text.split(" ", 1)[1] for cell in row.find_all("td", cls="cell")}
