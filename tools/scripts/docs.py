#!/usr/bin/env python3
"""The docs a reader follows: README.md, CONTRIBUTING.md and docs/*.md.

    python3 tools/scripts/docs.py           rewrites each page's table of contents
    python3 tools/scripts/docs.py --check   fails, naming the page and line, when a relative
                                            link (or its #anchor) does not resolve, when a
                                            page over 150 lines has no table of contents or
                                            a stale one, or when the README is over 200 lines

A table of contents sits between `<!-- toc -->` and `<!-- /toc -->` and lists the page's
`##` and `###` headings. Anchors are GitHub's: the heading lower-cased, punctuation
dropped, spaces as hyphens, a repeat suffixed `-1`, `-2`, ….
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
README_MAX_LINES = 200
TOC_FROM_LINES = 150
TOC_START, TOC_END = "<!-- toc -->", "<!-- /toc -->"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def pages():
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]


def prose_lines(text):
    """(line number, line) outside fenced code blocks, inline code spans blanked."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield number, re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), line)


def headings(text):
    """(level, title) of every heading outside code blocks, in order."""
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            yield len(match.group(1)), match.group(2)


def slugs(text):
    """Heading title → GitHub anchor, repeats numbered as GitHub numbers them."""
    seen, out = {}, []
    for level, title in headings(text):
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title).lower()
        slug = re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.append((level, title, slug if count == 0 else f"{slug}-{count}"))
    return out


def toc(text):
    lines = [f"{'  ' * (level - 2)}- [{title.replace('`', '')}](#{slug})"
             for level, title, slug in slugs(text) if level in (2, 3)]
    return "\n".join(lines)


def with_toc(text):
    if TOC_START not in text:
        return text
    head, rest = text.split(TOC_START, 1)
    _, tail = rest.split(TOC_END, 1)
    return f"{head}{TOC_START}\n{toc(text)}\n{TOC_END}{tail}"


def broken_links(page, text):
    problems = []
    for number, line in prose_lines(text):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto:, …: not ours to check
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT)}:{number}: {target}"
            if not resolved.exists():
                problems.append(f"{where}: no such file")
            elif anchor and resolved.suffix == ".md":
                anchors = {slug for _, _, slug in slugs(resolved.read_text())}
                if anchor not in anchors:
                    problems.append(f"{where}: no heading #{anchor} there")
    return problems


def main():
    check = "--check" in sys.argv[1:]
    problems = []
    for page in pages():
        text = page.read_text()
        name = page.relative_to(ROOT)
        lines = text.count("\n")
        if page.name == "README.md" and page.parent == ROOT and lines > README_MAX_LINES:
            problems.append(f"{name}: {lines} lines, at most {README_MAX_LINES}")
        if lines > TOC_FROM_LINES and TOC_START not in text:
            problems.append(f"{name}: {lines} lines and no {TOC_START} … {TOC_END}")
        wanted = with_toc(text)
        if wanted != text:
            if check:
                problems.append(f"{name}: its table of contents is stale (run python3 tools/scripts/docs.py)")
            else:
                page.write_text(wanted)
                print(f"wrote {name}")
        problems += broken_links(page, wanted)
    if problems:
        print(*problems, sep="\n", file=sys.stderr)
        sys.exit(1)
    print(f"{len(pages())} pages: links resolve, contents current", file=sys.stderr)


if __name__ == "__main__":
    main()
