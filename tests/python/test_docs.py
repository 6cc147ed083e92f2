"""The README and docs/ stay true: every shell block marked runnable (fenced as ```sh runnable)
runs as written, in a temporary copy of the checkout with a fresh database, and every relative
link resolves. The README stays a map of at most 150 lines linking every docs page.

Links that leave the checkout (`../shared/spec/`) are checked when that folder is there, as in
the project's workspace; a fresh clone alone does not have it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [
    "data-engineers.md",
    "analysts.md",
    "operations.md",
    "portal.md",
    "workbook.md",
    "spark.md",
    "performance.md",
    "decisions.md",
]
MAX_README_LINES = 150
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(.*)$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`[^`]*`")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def split(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """The file's prose lines (outside fenced blocks) and its fenced blocks, each with the line
    it starts on: (line, text) and (line, info string, body)."""
    prose, blocks = [], []
    fence, info, start, body = None, "", 0, []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, info, start, body = match.group(1), match.group(2).strip(), number, []
            else:
                prose.append((number, line))
        elif match and match.group(1).startswith(fence) and not match.group(2).strip():
            blocks.append((start, info, "\n".join(body) + "\n"))
            fence = None
        else:
            body.append(line)
    assert fence is None, f"{path.name}:{start}: a fenced block that never closes"
    return prose, blocks


def runnable_blocks() -> list:
    found = []
    for path in markdown_files():
        for start, info, body in split(path)[1]:
            if info.split() == ["sh", "runnable"]:
                name = f"{path.relative_to(ROOT)}:{start}"
                found.append(pytest.param(body, id=name))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, line in split(path)[0]:
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the checkout's files (tracked and new, not ignored) with the running virtualenv
    linked as `.venv`, so that blocks run as on a fresh clone after `make demo`."""
    copy = tmp_path_factory.mktemp("checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
        elif source.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(source), copy / name)
    (copy / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return copy


def test_some_blocks_are_runnable():
    assert runnable_blocks(), "no block is marked ```sh runnable"


@pytest.mark.parametrize("block", runnable_blocks())
def test_runnable_block(block, checkout, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SMARTSESSIONS_") or key == "SMARTSESSIONS_MEMORY_LIMIT"
    }
    env["SMARTSESSIONS_DB"] = str(tmp_path / "docs.duckdb")
    env["PATH"] = f"{Path(sys.prefix) / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, (
        f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )


def test_readme_is_a_map():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


def test_readme_links_every_docs_page():
    prose = "\n".join(line for _, line in split(README)[0])
    targets = {target.split("#")[0] for target in LINK.findall(prose)}
    for page in PAGES:
        assert (DOCS / page).is_file(), f"docs/{page} is missing"
        assert f"docs/{page}" in targets, f"README.md does not link docs/{page}"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda path: path.name)
def test_relative_links_resolve(path):
    broken = []
    for number, line in split(path)[0]:
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            name, _, anchor = target.partition("#")
            linked = (path.parent / name).resolve() if name else path
            outside = not linked.is_relative_to(ROOT)
            if outside and not linked.parent.exists():
                continue  # ../shared/spec/ outside a workspace
            if not linked.exists():
                broken.append(f"{path.name}:{number}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{path.name}:{number}: {target} (no such heading)")
    assert not broken, "\n".join(broken)
