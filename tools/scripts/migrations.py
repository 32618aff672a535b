#!/usr/bin/env python3
"""Migrations are append-only once on main.

    python3 tools/scripts/migrations.py check      fails, naming the file, when a migration on
                                                   main was edited, renamed or removed, or when
                                                   a migration was added with a timestamp not
                                                   later than every migration already there
    python3 tools/scripts/migrations.py selftest   the same rules against a throw-away repository
                                                   holding each kind of violation

A released migration is one in `migrations/` at any commit of main's first-parent history
from RELEASED_AT on; what it holds is what it held at RELEASED_AT, or, for one added later,
at the commit that added it. Files not committed yet count as added on top of HEAD. Before
RELEASED_AT (the commit that brought this check) the history has edits and one migration
inserted before a released one (20261201000350_permissions.sql, which deployed projects
have applied in that order); those stay as they are, and the rules hold from there on.
"""
import pathlib
import re
import subprocess
import sys
import tempfile

RELEASED_AT = "f541a6f025466fba2e85e9db451e7f4d9468687b"
FOLDER = "migrations"
NAME = re.compile(r"^(\d{14})_[a-z0-9_]+\.sql$")


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def names_at(repo, commit):
    listing = git(repo, "ls-tree", "--name-only", f"{commit}:{FOLDER}").decode().split()
    return {name for name in listing if name.endswith(".sql")}


def problems_in(repo, released_at):
    """Every violation of the rules, as sentences naming the file."""
    problems = []
    released = {name: git(repo, "show", f"{released_at}:{FOLDER}/{name}") for name in names_at(repo, released_at)}
    later = git(repo, "rev-list", "--reverse", "--first-parent", f"{released_at}..HEAD", "--", FOLDER).decode().split()

    def added(name, where, before):
        if not NAME.match(name):
            problems.append(f"{FOLDER}/{name} ({where}): not named <14-digit timestamp>_<snake_case>.sql")
            return
        newest = max(before, default="")
        if name[:14] <= newest[:14]:
            problems.append(f"{FOLDER}/{name} ({where}): its timestamp is not later than {newest}, "
                            "already on main; give it a later one")

    for commit in later:
        present = names_at(repo, commit)
        before = names_at(repo, f"{commit}^")
        for name in sorted(present - released.keys()):
            added(name, f"added in {commit[:7]}", before)
            released[name] = git(repo, "show", f"{commit}:{FOLDER}/{name}")
    folder = pathlib.Path(repo, FOLDER)
    on_disk = {path.name for path in folder.glob("*.sql")}
    for name in sorted(on_disk - released.keys()):
        added(name, "not committed yet", released.keys())
    for name, text in sorted(released.items()):
        path = folder / name
        if not path.exists():
            problems.append(f"{FOLDER}/{name}: released, and now missing (a migration is never removed or renamed)")
        elif path.read_bytes() != text:
            problems.append(f"{FOLDER}/{name}: released, and edited since (add a new migration instead)")
    return problems


def selftest():
    """Each rule, against a repository made for it: the violation is found, the right change is not."""
    with tempfile.TemporaryDirectory() as directory:
        repo = pathlib.Path(directory)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "config", "user.email", "t@example.com")
        git(repo, "config", "user.name", "t")
        (repo / FOLDER).mkdir()

        def write(name, text):
            (repo / FOLDER / name).write_text(text)

        def commit():
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "step")
            return git(repo, "rev-parse", "HEAD").decode().strip()

        write("20260101000100_first.sql", "select 1;\n")
        write("20260101000300_third.sql", "select 3;\n")
        base = commit()
        assert problems_in(repo, base) == [], problems_in(repo, base)
        write("20260101000400_fourth.sql", "select 4;\n")
        assert problems_in(repo, base) == [], "a later migration, not committed"
        commit()
        assert problems_in(repo, base) == [], "a later migration, committed"
        write("20260101000100_first.sql", "select 1; -- edited\n")
        assert any("edited since" in p for p in problems_in(repo, base)), "an edit"
        commit()
        assert any("edited since" in p for p in problems_in(repo, base)), "an edit, committed"
        write("20260101000100_first.sql", "select 1;\n")
        commit()
        assert problems_in(repo, base) == [], "the edit undone"
        write("20260101000200_second.sql", "select 2;\n")
        assert any("not later than 20260101000400_fourth.sql" in p for p in problems_in(repo, base)), "inserted"
        commit()
        assert any("added in" in p and "not later" in p for p in problems_in(repo, base)), "inserted, committed"
        base = git(repo, "rev-parse", "HEAD").decode().strip()
        (repo / FOLDER / "20260101000300_third.sql").unlink()
        assert any("now missing" in p for p in problems_in(repo, base)), "a removal"
        git(repo, "checkout", "-q", "--", FOLDER)
        (repo / FOLDER / "20260101000300_third.sql").rename(repo / FOLDER / "20260101000500_third.sql")
        found = problems_in(repo, base)
        assert any("now missing" in p for p in found), f"a rename: {found}"
    print("migrations.py selftest: edits, insertions, removals and renames are found; a later migration passes",
          file=sys.stderr)


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "selftest":
        selftest()
        return
    try:
        git(root, "cat-file", "-e", f"{RELEASED_AT}^{{commit}}")
    except subprocess.CalledProcessError:
        sys.exit(f"migrations.py: commit {RELEASED_AT[:7]} is not in this clone (a shallow clone?); "
                 "fetch main's history to check the migrations")
    problems = problems_in(root, RELEASED_AT)
    if problems:
        print("Migrations are append-only once on main:", *problems, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"{len(list((root / FOLDER).glob('*.sql')))} migrations: none edited, removed or inserted before "
          "one on main", file=sys.stderr)


if __name__ == "__main__":
    main()
