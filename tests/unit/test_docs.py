"""The design in docs/ says what the code does: the check registry, the modes and the statuses as the code
declares them, and every module, test, file and link it cites exists. Nothing in the repository cites a file
outside it, which a clone would not have."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from vpce_guard.checks import CHECKS
from vpce_guard.decisions import Mode
from vpce_guard.findings import CHECKS_ANCHOR
from vpce_guard.vocabulary import Status

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DOCUMENTS = sorted(DOCS.glob("*.md"))
# Files that lived beside the repository while it was built; spelled in parts so that this file cites none.
OUTSIDE = ("DESIGN" + ".md", "LOCAL-AWS" + ".md", "STYLE" + ".md", ".." + "/shared", "shared" + "/seeds")
SEARCHED = (".py", ".md", ".yaml", ".toml")


def text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def table(name: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under the heading line ``heading`` of docs/``name``, cell by cell."""
    lines = text(name).splitlines()
    rows: list[list[str]] = []
    for line in lines[lines.index(heading) + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows or line.startswith("#"):
            break
    return rows[2:]


def test_the_registry_table_is_the_registry_in_its_order() -> None:
    listed = [(row[0], row[1], row[3], row[4]) for row in table("checks.md", "## Registry")]

    assert listed == [
        (f"`{check.id}`", check.severity.value, f"`{check.remediation_action}`", "yes" if check.automatic else "no")
        for check in CHECKS.values()
    ]


def test_every_check_has_a_section_and_no_other_does() -> None:
    assert sorted(re.findall(r"^### (\S+)$", text("checks.md"), re.MULTILINE)) == sorted(CHECKS)


def test_the_modes_table_lists_the_modes() -> None:
    assert [row[0] for row in table("checks.md", "## Modes")] == [f"`{mode.value}`" for mode in Mode]


def test_the_status_table_lists_every_status() -> None:
    statuses = table("state.md", "### Finding statuses")

    assert [row[0] for row in statuses] == [f"`{status.value}`" for status in Status]
    assert [row[2] for row in statuses] == ["yes" if status.is_closed else "no" for status in Status]


def cited(pattern: str) -> Iterator[tuple[str, str]]:
    """Each (document, match) of ``pattern``'s first group in docs/."""
    for document in DOCUMENTS:
        for match in re.finditer(pattern, document.read_text(encoding="utf-8")):
            yield document.name, match.group(1)


def resolve(dotted: str) -> object:
    """The module, or the attribute of the longest importable module prefix, that ``dotted`` names."""
    parts = dotted.split(".")
    for size in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:size]))
        except ModuleNotFoundError:
            continue
        for name in parts[size:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize(("document", "dotted"), sorted(set(cited(r"`(vpce_guard(?:\.\w+)+)"))))
def test_every_module_and_name_cited_exists(document: str, dotted: str) -> None:
    try:
        resolve(dotted)
    except (ModuleNotFoundError, AttributeError) as error:
        pytest.fail(f"docs/{document} cites {dotted}, which the code does not have: {error}")


@pytest.mark.parametrize(
    ("document", "path"),
    sorted(set(cited(r"`((?:tests|functions|layers|member|events|benchmarks)/[^`\s<:]+|template\.yaml)[`:]"))),
)
def test_every_file_cited_exists(document: str, path: str) -> None:
    assert (ROOT / path).is_file(), f"docs/{document} cites {path}, which the repository does not have"


@pytest.mark.parametrize(("document", "test"), sorted(set(cited(r"`(tests/[^`\s]+\.py::\w+)`"))))
def test_every_test_cited_exists(document: str, test: str) -> None:
    path, name = test.split("::")
    source = (ROOT / path).read_text(encoding="utf-8") if (ROOT / path).is_file() else ""

    assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"docs/{document} cites {test}, which is not there"


def anchor(heading: str) -> str:
    """The anchor a Markdown heading gets: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("document", [path.name for path in DOCUMENTS] + ["../README.md"])
def test_every_link_leads_to_a_file_or_heading_of_the_repository(document: str) -> None:
    source = (DOCS / document).resolve()
    content = source.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", content):
        if target.startswith(("http://", "https://")):
            continue
        path, _, fragment = target.partition("#")
        linked = (source.parent / path).resolve() if path else source
        assert linked.is_relative_to(ROOT), f"{source.name} links to {target}, outside the repository"
        assert linked.exists(), f"{source.name} links to {target}, which the repository does not have"
        if fragment and linked.is_file():
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.MULTILINE)
            assert fragment in {anchor(heading) for heading in headings}, f"{source.name} links to {target}"


def searched_files() -> Iterator[Path]:
    """The repository's source and documentation, less hidden folders (the virtualenv, caches) and build output."""
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and not name.endswith(".egg-info")]
        for name in files:
            path = Path(folder, name)
            if path.suffix in SEARCHED and path != Path(__file__).resolve():
                yield path


def test_nothing_in_the_repository_cites_a_file_outside_it() -> None:
    citing = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in searched_files()
        for name in OUTSIDE
        if name in path.read_text(encoding="utf-8", errors="replace")
    ]

    assert citing == []


def test_sarif_rules_link_to_the_readmes_heading_over_the_checks_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = {anchor(line.lstrip("#")): line for line in readme.splitlines() if line.startswith("## ")}

    section = readme.split(headings[CHECKS_ANCHOR], 1)[1].split("\n## ", 1)[0]
    assert all(f"| `{check_id}` |" in section for check_id in CHECKS)
