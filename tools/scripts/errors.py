#!/usr/bin/env python3
"""The error codes, from their one registry (openapi/errors.toml):

    python3 tools/scripts/errors.py           writes what is generated from it
    python3 tools/scripts/errors.py --check   fails (naming the file) when any of it is stale,
                                              or when the SQL and the registry disagree

Generated: the Rust tables through which functions map database errors
(shared/onboarding/src/raised.rs), the error-code enums of openapi/functions.json, and
docs/errors.md. Checked against the registry: every `raise exception using … message
= '<code>'` in supabase/migrations/ (the newest definition of each function the
migrations leave in place: a later `drop function` removes it), its
function and its SQLSTATE.
"""
import http
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "openapi" / "errors.toml"
RUST = ROOT / "shared" / "onboarding" / "src" / "raised.rs"
OPENAPI = ROOT / "openapi" / "functions.json"
DOCS = ROOT / "docs" / "errors.md"
DOMAIN_TABLES = ["signup", "invites", "tenant_users", "export", "directory"]
ORIGINS = {"platform", "function", "gateway", "shim"}


def tables_of(entry):
    """The domain tables mapping a code: `mapped_by` is one table or a list of them."""
    mapped = entry.get("mapped_by", [])
    return [mapped] if isinstance(mapped, str) else list(mapped)


def load_registry():
    registry = tomllib.loads(REGISTRY.read_text())
    problems = []
    for code, entry in registry.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
            problems.append(f"{code}: not a snake_case code")
        if ("raised_by" in entry) == ("origin" in entry):
            problems.append(f"{code}: give raised_by (SQL) or origin ({', '.join(sorted(ORIGINS))}), not both")
        if entry.get("origin", "platform") not in ORIGINS:
            problems.append(f"{code}: origin must be one of {', '.join(sorted(ORIGINS))}")
        if "mapped_by" in entry:
            if not tables_of(entry) or any(table not in DOMAIN_TABLES for table in tables_of(entry)):
                problems.append(f"{code}: mapped_by must be one of {', '.join(DOMAIN_TABLES)}, or a list of them")
            if "message" not in entry or "status" not in entry or "raised_by" not in entry:
                problems.append(f"{code}: a mapped code needs raised_by, status and message")
        if entry.get("routes") and "status" not in entry:
            problems.append(f"{code}: routes answer it, so it needs a status")
    return registry, problems


def raised_in_sql():
    """code → {SQL function: SQLSTATE}, from the newest definition of each function that
    the migrations, applied in order, leave in place (a later `drop function` removes it)."""
    functions = {}
    statement_start = re.compile(
        r"(create (?:or replace )?function|drop function (?:if exists )?) *(?:\w+\.)?(\w+)\s*\(", re.I)
    for path in sorted((ROOT / "supabase" / "migrations").glob("*.sql")):
        sql = path.read_text()
        matches = list(statement_start.finditer(sql))
        for match, following in zip(matches, matches[1:] + [None]):
            name = match.group(2)
            if match.group(1).lower().startswith("drop"):
                functions.pop(name, None)
                continue
            raised = {}
            # Up to the next function statement, as far as the body's closing `$$`.
            body = sql[match.end():following.start() if following else len(sql)]
            for statement in body.split("\n$$;", 1)[0].split("raise exception using")[1:]:
                statement = statement.split(";", 1)[0]
                state = re.search(r"errcode\s*=\s*'(\w+)'", statement)
                code = re.search(r"message\s*=\s*'(\w+)'", statement)
                raised[code.group(1)] = state.group(1) if state else "P0001"
            functions[name] = raised
    codes = {}
    for function, raised in functions.items():
        for code, state in raised.items():
            codes.setdefault(code, {})[function] = state
    return codes


def check_sql(registry):
    problems = []
    sql = raised_in_sql()
    for code, raisers in sorted(sql.items()):
        listed = registry.get(code, {}).get("raised_by")
        if listed is None:
            problems.append(f"{code}: raised in SQL by {', '.join(sorted(raisers))}, missing from {REGISTRY.name}")
        elif listed != raisers:
            problems.append(f"{code}: the SQL raises it as {raisers}, {REGISTRY.name} says {listed}")
    for code, entry in sorted(registry.items()):
        if "raised_by" in entry and code not in sql:
            problems.append(f"{code}: {REGISTRY.name} says SQL raises it; no SQL function does")
    return problems


def rustfmt(text):
    with tempfile.NamedTemporaryFile("w", suffix=".rs", delete=False) as file:
        file.write(text)
    subprocess.run(["rustfmt", "--edition", "2021", file.name], check=True)
    formatted = pathlib.Path(file.name).read_text()
    pathlib.Path(file.name).unlink()
    return formatted


def rust_tables(registry):
    lines = [
        f"//! Generated from `openapi/errors.toml` by `tools/scripts/errors.py`: do not edit.",
        "//! The database's error codes each capability maps: the status and the message a",
        "//! function answers them with. Anything else from the database is a 5xx.",
        "",
        "use platform::error::RaisedError;",
    ]
    for table in DOMAIN_TABLES:
        rows = [(code, entry) for code, entry in sorted(registry.items()) if table in tables_of(entry)]
        lines.append("")
        lines.append(f"pub const {table.upper()}: &[RaisedError] = &[")
        for code, entry in rows:
            lines.append(f"    RaisedError {{ code: {json.dumps(code)}, status: {entry['status']}, "
                         f"message: {json.dumps(entry['message'], ensure_ascii=False)} }},")
        lines.append("];")
    return rustfmt("\n".join(lines) + "\n")


def openapi(registry):
    document = json.loads(OPENAPI.read_text())
    answered = {}
    for code, entry in registry.items():
        for route in entry.get("routes", []):
            answered.setdefault(route, {}).setdefault(str(entry["status"]), []).append(code)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            route = f"{method.upper()} {path}"
            statuses = answered.pop(route, {})
            responses = operation["responses"]
            for status in list(responses):
                if status[0] in "45" and status not in statuses:
                    del responses[status]
            for status, codes in statuses.items():
                schema = {"allOf": [{"$ref": "#/components/schemas/Error"}],
                          "properties": {"error": {"type": "object", "properties": {"code": {"enum": sorted(codes)}}}}}
                response = responses.setdefault(status, {"description": http.HTTPStatus(int(status)).phrase})
                response["content"] = {"application/json": {"schema": schema}}
            operation["responses"] = dict(sorted(responses.items()))
    if answered:
        raise SystemExit(f"{REGISTRY.name} names operations openapi/functions.json does not have: {sorted(answered)}")
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def docs(registry):
    """docs/errors.md: every code, who answers it, with what status, and who reads it."""
    def cell(values):
        return ", ".join(values) if values else "—"
    lines = [
        "# Error codes",
        "",
        "Generated from [openapi/errors.toml](../openapi/errors.toml) by `python3 tools/scripts/errors.py`;",
        "do not edit. Functions answer `{\"error\": {\"code\", \"message\"}}` with the status below; RPCs",
        "answer PostgREST's `{\"code\", \"message\", \"details\", \"hint\"}` with `message` the code and",
        "the status PostgREST gives the SQLSTATE (`22023` → 400, `42501` → 403, or 401 for anon,",
        "`P0002` → 404, `23505` → 409, `P0001` → 400, `PTxxx` → xxx). How to add one:",
        "[CONTRIBUTING.md](../CONTRIBUTING.md#adding-a-function-an-rpc-an-error-code).",
        "",
        "<!-- toc -->",
        "- [Raised by the database](#raised-by-the-database)",
        "- [Answered by the platform, the functions, the gateway and the shim](#answered-by-the-platform-the-functions-the-gateway-and-the-shim)",
        "<!-- /toc -->",
        "",
        "## Raised by the database",
        "",
        "| code | raised by (SQLSTATE) | a function answers | who reads it |",
        "|---|---|---|---|",
    ]
    for code, entry in sorted(registry.items()):
        if "raised_by" not in entry:
            continue
        raisers = ", ".join(f"`{function}` ({state})" for function, state in sorted(entry["raised_by"].items()))
        status = str(entry["status"]) if "status" in entry else "—"
        lines.append(f"| `{code}` | {raisers} | {status} | {entry.get('audience', 'client-facing: the RPC caller reads it')} |")
    lines += [
        "",
        "## Answered by the platform, the functions, the gateway and the shim",
        "",
        "| code | origin | status | routes |",
        "|---|---|---|---|",
    ]
    for code, entry in sorted(registry.items()):
        if "raised_by" in entry:
            continue
        routes = cell([f"`{route}`" for route in entry.get("routes", [])])
        lines.append(f"| `{code}` | {entry.get('origin', '—')} | {entry.get('status', '—')} | {routes} |")
    return "\n".join(lines) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    registry, problems = load_registry()
    problems += check_sql(registry)
    if problems:
        print(f"{REGISTRY.relative_to(ROOT)}:", *problems, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    stale = []
    for path, text in [(RUST, rust_tables(registry)), (OPENAPI, openapi(registry)), (DOCS, docs(registry))]:
        if path.exists() and path.read_text() == text:
            continue
        if check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"generated from {REGISTRY.relative_to(ROOT)} and stale: {', '.join(stale)} "
              "(run python3 tools/scripts/errors.py)", file=sys.stderr)
        sys.exit(1)
    print(f"{len(registry)} error codes", file=sys.stderr)


if __name__ == "__main__":
    main()
