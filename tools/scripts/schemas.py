#!/usr/bin/env python3
"""supabase/schemas/: the current definition of the database, one file per concern, and
the check that it is exactly what supabase/migrations/ builds.

    python3 tools/scripts/schemas.py check      (make test) on a running stack's cluster:
        applies local/stack/supabase-base.sql, then every migration, to one new database,
        and supabase-base.sql, then every schema file, to another; dumps both
        (pg_dump --schema-only, comments included) and fails on any difference, naming each object
    python3 tools/scripts/schemas.py generate   writes supabase/schemas/ from what the
        migrations build (each object in the file of the concern that introduced it, its
        grants beside it): for when a migration is written first

Needs STACK_DIR (the stack's secrets.env and stack.env) and pg_dump/psql 15.
"""
import os
import pathlib
import re
import subprocess
import sys
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "supabase" / "schemas"
MIGRATIONS = ROOT / "supabase" / "migrations"
BASE = ROOT / "local" / "stack" / "supabase-base.sql"
PGBIN = pathlib.Path("/usr/lib/postgresql/15/bin")

# The concern each migration introduced; an object lives in the file of the first
# migration that created it (its current definition, wherever it was last replaced).
CONCERNS = {
    "20261121000100": "10_signup",
    "20261121000200": "20_invites",
    "20261121000300": "30_tenant_users",
    "20261122000100": "10_signup",
    "20261122000200": "40_organizations",
    "20261122000300": "30_tenant_users",
    "20261122000400": "50_onboarding_phases",
    "20261122000500": "60_webhooks",
    "20261130000100": "70_function_calls",
    "20261201000100": "30_tenant_users",
    "20261201000200": "10_signup",
    "20261201000300": "80_ways_in",
    "20261201000350": "90_permissions",
    "20261201000500": "95_deletion",
    "20261201000600": "97_export",
    "20261201000700": "20_invites",
    "20261201000400": "80_ways_in",
    # comments only: each goes with the object it is on
    "20261206000100": "00_platform",
    # trust: the access rules it adds (MFA, the grace period, role bounds) are permissions'
    "20261206000200": "90_permissions",
    # reads that stay flat: the policies' arrays are access rules too
    "20261206000300": "90_permissions",
    "20261206000400": "80_ways_in",
    # signup as cheap as it was: the helpers it rewrites stay where they were made
    "20261206000500": "10_signup",
    # every path flat: what it adds (the signups the reconcile job waits for) is signup's
    "20261206000600": "10_signup",
    # locks that let an organization work: replaced functions only
    "20261206000700": "40_organizations",
    # the access helpers planned once: replaced functions only
    "20261206000800": "90_permissions",
    # directory sync (SCIM): its tables, the scim_* RPCs and what its managers call
    "20261206000900": "98_directory_sync",
    "20261206001000": "98_directory_sync",
    "20261206001100": "98_directory_sync",
    "20261206001300": "98_directory_sync",
    # the export's query, restated with the directory's sections: export's
    "20261206001200": "97_export",
}
# Shared by several concerns and needed before any of them: the schemas and the access
# helpers policies call.
PLATFORM_FIRST = "00_platform"
SHARED = {
    "SCHEMA private", "FUNCTION touch_updated_at", "FUNCTION is_platform_admin",
    "FUNCTION member_organization_ids", "FUNCTION is_tenant_admin", "FUNCTION role_rank", "TABLE settings",
    "FUNCTION setting", "FUNCTION permitted_organization_ids", "FUNCTION check_role_exists",
    "FUNCTION readable_organizations", "FUNCTION permitted_organizations",
}
ENTRY = re.compile(r"^--\n-- (?:Data for )?Name: (.*?); Type: (.*?); Schema: (.*?); Owner: .*?\n--\n", re.M)


def env(name):
    for file in ("stack.env", "secrets.env"):
        path = pathlib.Path(os.environ["STACK_DIR"]) / file
        for line in path.read_text().splitlines():
            if line.startswith(f"{name}="):
                return line.split("=", 1)[1]
    raise SystemExit(f"{name} is not in $STACK_DIR/stack.env or secrets.env")


def with_database(url, database):
    return re.sub(r"/[^/?]*(\?|$)", f"/{database}\\1", url, count=1)


def psql(url, *args, stdin=None):
    run = subprocess.run([PGBIN / "psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args],
                         input=stdin, text=True, capture_output=True,
                         env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"})
    if run.returncode != 0:
        raise SystemExit(run.stderr.strip())
    return run.stdout


def fresh_database(with_objects):
    """A new database with supabase-base.sql, then `with_objects` (SQL files, in order)
    applied as `postgres`, as a project gets them. Returns its name and its dump."""
    admin = env("ADMIN_DATABASE_URL")
    name = f"schema_check_{uuid.uuid4().hex[:8]}"
    psql(admin, "-c", f"create database {name} owner postgres")
    try:
        psql(with_database(admin, name),
             "-v", f"authenticator_password={env('AUTHENTICATOR_PASSWORD')}",
             "-v", f"auth_admin_password={env('AUTH_ADMIN_PASSWORD')}",
             "-v", f"postgres_password={env('POSTGRES_PASSWORD')}", stdin=BASE.read_text())
        database = with_database(env("DATABASE_URL"), name)
        for path in with_objects:
            psql(database, "-1", "-f", str(path))
        dump = subprocess.run([PGBIN / "pg_dump", "--schema-only", with_database(admin, name)],
                              text=True, capture_output=True, check=True).stdout
    finally:
        psql(admin, "-c", f"drop database {name} with (force)")
    return dump


def split_dump(dump):
    """(type, schema, name, SQL as dumped) of each pg_dump entry, in the dump's order."""
    matches = list(ENTRY.finditer(dump))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(dump)
        yield match.group(2), match.group(3), match.group(1), dump[match.end():end]


def normalised(body):
    """An entry's SQL without pg_dump's comments, blank lines and session settings."""
    return "\n".join(line for line in body.splitlines()
                     if line.strip() and not line.startswith(("--", "SET ", "\\restrict", "\\unrestrict"))
                     and not line.startswith("SELECT pg_catalog.set_config")).strip()


def entries(dump):
    """{(type, schema, name): SQL} of a pg_dump, normalised."""
    return {(kind, schema, name): normalised(body) for kind, schema, name, body in split_dump(dump)}


def migrations():
    return sorted(MIGRATIONS.glob("*.sql"))


def schema_files():
    return sorted(SCHEMAS.glob("*.sql"))


def check():
    from_migrations = entries(fresh_database(migrations()))
    from_schemas = entries(fresh_database(schema_files()))
    problems = []
    for key in sorted(set(from_migrations) | set(from_schemas)):
        kind, schema, name = key
        label = f"{kind} {schema}.{name}" if schema != "-" else f"{kind} {name}"
        if key not in from_schemas:
            problems.append(f"{label}: built by the migrations, missing from supabase/schemas/")
        elif key not in from_migrations:
            problems.append(f"{label}: in supabase/schemas/, not built by the migrations")
        elif from_migrations[key] != from_schemas[key]:
            problems.append(f"{label}: differs between the migrations and supabase/schemas/")
    if problems:
        print("supabase/schemas/ and supabase/migrations/ disagree:", *problems, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(f"supabase/schemas/ is what the migrations build ({len(from_migrations)} objects)", file=sys.stderr)


def first_created(bare, kinds="table|function|view|type|sequence|trigger|policy|index"):
    """The concern of the first migration creating an object of that name, if any."""
    pattern = re.compile(rf"create (?:or replace )?(?:unique )?(?:{kinds})(?: if not exists)? "
                         rf"(?:\w+\.)?\"?{re.escape(bare)}\b", re.I)
    for path in migrations():
        if pattern.search(path.read_text()):
            return CONCERNS[path.name[:14]]
    return None


def concern_of(kind, name):
    """The concern whose migration first created the object (a table's parts, grants and
    sequences go with the table; a trigger goes where it was created)."""
    if kind in ("ACL", "COMMENT"):
        kind, name = name.split(" ", 1)
        if kind == "COLUMN":
            kind, name = "TABLE", name.split(".")[0]
    bare = re.sub(r"\(.*", "", name)
    if f"{kind} {bare}" in SHARED or f"TABLE {bare.split(' ')[0]}" in SHARED and kind != "TRIGGER":
        return PLATFORM_FIRST
    if kind == "TRIGGER":  # where it was made (its function may belong to a later concern)
        table, trigger = bare.split(" ", 1)
        made = re.compile(rf"create trigger {re.escape(trigger)}\b[^;]*? on (?:\w+\.)?{re.escape(table)}\b", re.I | re.S)
        return next((CONCERNS[path.name[:14]] for path in migrations() if made.search(path.read_text())), PLATFORM_FIRST)
    if kind in ("CONSTRAINT", "FK CONSTRAINT", "POLICY", "DEFAULT", "SEQUENCE OWNED BY"):
        bare = bare.split(" ")[0]
    if kind == "SEQUENCE":
        parts = bare.split("_")
        for n in range(len(parts) - 1, 0, -1):
            found = first_created("_".join(parts[:n]), "table")
            if found:
                return found
    return first_created(bare) or PLATFORM_FIRST


def generate():
    base = entries(fresh_database([]))
    built = fresh_database(migrations())
    files = {}
    for kind, schema, name, body in split_dump(built):
        if base.get((kind, schema, name)) == normalised(body):
            continue  # Supabase's own, unchanged
        body = body.split("--\n-- PostgreSQL database dump complete", 1)[0]
        # pg_dump's session settings (at the start of a line; a function's own SET clauses
        # are indented) are not part of the definition.
        body = "\n".join(line for line in body.splitlines()
                         if not line.startswith(("SET ", "\\restrict", "\\unrestrict"))
                         # every object here is the migrating role's (postgres): said once, not per object
                         and not re.fullmatch(r"ALTER .* OWNER TO postgres;", line)).strip()
        body = re.sub(r"\n{3,}", "\n\n", body)
        concern = concern_of(kind, name)
        # A reference to a table of a later concern goes with that concern (a column added
        # by a later story: organizations.plan_id → plans).
        for referenced in re.findall(r"REFERENCES (?:\w+)\.(\w+)\(", body):
            concern = max(concern, first_created(referenced, "table") or concern)
        # An index goes with its table when that table belongs to a later concern.
        for indexed in re.findall(r"^CREATE (?:UNIQUE )?INDEX \S+ ON (?:ONLY )?\w+\.(\w+) ", body, re.M):
            concern = max(concern, first_created(indexed, "table") or concern)
        files.setdefault(concern, []).append((kind, name, body))
    SCHEMAS.mkdir(parents=True, exist_ok=True)
    for old in schema_files():
        old.unlink()
    for concern, items in sorted(files.items()):
        # Each object's comment right after it, then its grants (ACLs placed first, so
        # that a comment placed after lands between the object and its grants).
        ordered = [item for item in items if item[0] not in ("ACL", "COMMENT")]
        for placed in ("ACL", "COMMENT"):
            for entry in (item for item in items if item[0] == placed):
                of_kind, of_name = entry[1].split(" ", 1)
                bare = re.sub(r"\(.*", "", of_name.split(".")[0])
                target = next((j for j, item in reversed(list(enumerate(ordered)))
                               if item[0] == of_kind and re.sub(r"\(.*", "", item[1]) == bare
                               or of_kind == "COLUMN" and item[0] == "TABLE" and item[1] == bare), None)
                if placed == "COMMENT" and of_kind == "COLUMN" and target is not None:
                    # after the table and its other column comments, before its grants
                    while target + 1 < len(ordered) and ordered[target + 1][0] == "COMMENT":
                        target += 1
                ordered.insert(target + 1 if target is not None else len(ordered), entry)
        text = [f"-- {concern[3:].replace('_', ' ').capitalize()}: the current definition "
                "(supabase/migrations/ builds exactly this; `make test` checks it).",
                "-- Function bodies may name objects of later files: they are checked when called.",
                "set check_function_bodies = false;", ""]
        for kind, name, body in ordered:
            text += [f"-- {kind} {name}", body, ""]
        (SCHEMAS / f"{concern}.sql").write_text("\n".join(text).rstrip() + "\n")
    print("wrote", ", ".join(f"{c}.sql" for c in sorted(files)), file=sys.stderr)


if __name__ == "__main__":
    {"check": check, "generate": generate}.get(sys.argv[1] if len(sys.argv) > 1 else "", lambda: sys.exit(__doc__))()
