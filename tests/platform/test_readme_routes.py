"""README's route table (under "## The API") names every route of the OpenAPI document.

A cell names routes as code spans: `GET /api/items[?...]`, a method alone that shares the next
span's path (`PUT` / `PATCH` / `DELETE /api/items/{sku}`), or a path alone that is a sibling of
the previous one with the same methods (`POST /api/inventory/receive`, `/issue`).
"""

import re
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

README = Path(__file__).resolve().parents[2] / "README.md"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
CODE_SPAN = re.compile(r"`([^`]+)`")


def _normalize(path: str) -> str:
    return path.split("[", 1)[0].split("?", 1)[0].rstrip("/") or "/"


def readme_routes(text: str) -> set[tuple[str, str]]:
    """(method, path) of every route the first table of the API section names."""
    section = text.split("\n## The API", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    routes: set[tuple[str, str]] = set()
    for row in rows:
        first_cell = row.split(" | ", 1)[0]
        pending: list[str] = []
        methods: list[str] = []
        previous = ""
        for span in CODE_SPAN.findall(first_cell):
            words = span.split()
            if words[0] in METHODS and len(words) == 1:
                pending.append(words[0])
                continue
            if words[0] in METHODS:
                methods, path = [*pending, words[0]], _normalize(words[1])
                pending = []
            elif span.startswith("/") and previous:
                path = previous.rsplit("/", 1)[0] + _normalize(span)
            else:
                continue
            routes.update((method, path) for method in methods)
            previous = path
    return routes


def test_the_parser_reads_shared_methods_and_sibling_paths():
    text = (
        "\n## The API\n\n| route | what |\n|---|---|\n"
        "| `PUT` / `DELETE /api/items/{sku}` | x |\n"
        "| `POST /api/inventory/receive`, `/issue` | y |\n"
        "| `GET /api/items[?active=]` `{body}` | z |\n"
    )

    assert readme_routes(text) == {
        ("PUT", "/api/items/{sku}"),
        ("DELETE", "/api/items/{sku}"),
        ("POST", "/api/inventory/receive"),
        ("POST", "/api/inventory/issue"),
        ("GET", "/api/items"),
    }


@pytest.mark.django_db
def test_the_readme_route_table_lists_every_route_of_the_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    in_schema = {
        (method.upper(), _normalize(path))
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }

    missing = in_schema - readme_routes(README.read_text(encoding="utf-8"))

    assert not missing, f"routes missing from README's route table: {sorted(missing)}"
