"""Tiny HTML helpers for the console tests (standard library only).

parse(html) -> Page with .forms (each with .attrs and .fields) and .elements
(every start tag as (tag, attrs) plus the text inside it, for class look-ups).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}


@dataclass
class Field:
    tag: str
    name: str
    type: str
    value: str
    checked: bool = False
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    attrs: dict[str, str]
    fields: list[Field] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.attrs.get("id", "")

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def value(self, name: str) -> str | None:
        for f in self.fields:
            if f.name == name:
                return f.value
        return None

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


@dataclass
class Page:
    forms: list[Form]
    elements: list[Element]

    def form(self, *, id: str | None = None, cls: str | None = None,
             field: str | None = None) -> Form | None:
        for f in self.forms:
            if id is not None and f.id != id:
                continue
            if cls is not None and cls not in f.classes:
                continue
            if field is not None and not f.has_field(field):
                continue
            return f
        return None

    def with_classes(self, *classes: str) -> list[Element]:
        want = set(classes)
        return [e for e in self.elements if want <= e.classes]

    def by_tag(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.elements: list[Element] = []
        self._form: Form | None = None
        self._open: list[Element] = []
        self._select: Field | None = None
        self._option_value: str | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        el = Element(tag, a)
        self.elements.append(el)
        if tag not in VOID:
            self._open.append(el)
        if tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and "name" in a:
            self._form.fields.append(Field(
                "input", a["name"], a.get("type", "text").lower(), a.get("value", ""),
                checked="checked" in a))
        elif tag == "select" and self._form is not None and "name" in a:
            self._select = Field("select", a["name"], "select", "")
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            self._option_value = value
            if value is not None:
                self._select.options.append(value)
                # As a browser: the first option, unless one is marked selected (the first
                # option's value may be "", e.g. "Not PPV").
                if "selected" in a or len(self._select.options) == 1:
                    self._select.value = value
        elif tag == "textarea" and self._form is not None and "name" in a:
            self._textarea = Field("textarea", a["name"], "textarea", "")
            self._form.fields.append(self._textarea)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._open and self._open[-1].tag == tag:
            self._open.pop()

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for el in self._open:
            el.text += data
        if self._textarea is not None:
            self._textarea.value += data


def parse(html: str) -> Page:
    p = _Parser()
    p.feed(html)
    p.close()
    return Page(p.forms, p.elements)
