"""OPML, the file format feed readers exchange their subscriptions in."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass


class OpmlError(ValueError):
    """Not an OPML file we can read; the message says why, in French."""


@dataclass(frozen=True, slots=True)
class Outline:
    url: str
    title: str | None = None
    # A theme id of content/veille/themes.yaml, when the file gives one.
    category: str | None = None


def read_opml(data: bytes) -> list[Outline]:
    """Every feed of the file (nested folders included), in order, each address once."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise OpmlError(f"fichier OPML illisible : {exc}") from None
    if root.tag != "opml":
        raise OpmlError("ce fichier n'est pas un OPML (pas de balise <opml>)")
    outlines: dict[str, Outline] = {}
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        if url.startswith(("http://", "https://")) and url not in outlines:
            title = node.get("title") or node.get("text")
            outlines[url] = Outline(url, title, node.get("category") or None)
    return list(outlines.values())


def write_opml(title: str, outlines: Sequence[Outline]) -> bytes:
    root = ElementTree.Element("opml", version="2.0")
    ElementTree.SubElement(ElementTree.SubElement(root, "head"), "title").text = title
    body = ElementTree.SubElement(root, "body")
    for outline in outlines:
        attributes = {"type": "rss", "text": outline.title or outline.url, "xmlUrl": outline.url}
        if outline.category:
            attributes["category"] = outline.category
        ElementTree.SubElement(body, "outline", attributes)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
