#!/usr/bin/env python3
"""Regenerates the README's error-code table from migrations/: each stable code, the SQL
functions raising it (their newest definitions) with the SQLSTATE, and who maps it (kept
from the current table; new codes are client-facing). `crates/onboarding/tests/error_codes.rs`
checks the result against the Rust tables.   python3 tools/scripts/error-table.py"""
import pathlib, re

root = pathlib.Path(__file__).resolve().parent.parent.parent
readme_path = root / "README.md"
readme = readme_path.read_text()
marker = "## Adding a function, an RPC, an error code"
head, section = readme.split(marker, 1)
rows = [l for l in section.splitlines() if l.startswith("| `")]
mapped = {r.split("|")[1].strip().strip("`"): r.split("|")[3].strip() for r in rows}

functions = {}  # name -> {code: sqlstate}, newest definition wins
for path in sorted((root / "supabase" / "migrations").glob("*.sql")):
    sql = path.read_text()
    parts = re.split(r"create (?:or replace )?function (?:\w+\.)?(\w+)\s*\(", sql, flags=re.I)
    for name, body in zip(parts[1::2], parts[2::2]):
        body = body.split("\n$$;", 1)[0]
        raised = {}
        for statement in body.split("raise exception using")[1:]:
            statement = statement.split(";", 1)[0]
            state = re.search(r"errcode\s*=\s*'(\w+)'", statement)
            code = re.search(r"message\s*=\s*'(\w+)'", statement)
            raised[code.group(1)] = state.group(1) if state else "P0001"
        functions[name] = raised

codes = {}
for name, raised in functions.items():
    for code, state in raised.items():
        codes.setdefault(code, []).append(f"`{name}` ({state})")

table = ["| code | raised by (SQLSTATE) | mapped by |", "|---|---|---|"]
for code in sorted(codes):
    by = mapped.get(code, "client-facing: the RPC caller reads it")
    table.append(f"| `{code}` | {', '.join(sorted(codes[code]))} | {by} |")

lines = section.splitlines()
start = next(i for i, l in enumerate(lines) if l.startswith("| code |"))
end = start
while end < len(lines) and lines[end].startswith("|"):
    end += 1
lines[start:end] = table
readme_path.write_text(head + marker + "\n".join(lines) + ("\n" if section.endswith("\n") else ""))
print(f"{len(codes)} codes")
