"""Runs scim2-tester's checks against the stack's SCIM endpoint; fails on any that does not pass.

Skipped by design (the README says so too):
- search_with_attributes: it posts to the server root's `/.search`, a search across every
  resource type at once. The function searches one type at a time (`POST /Users/.search`,
  `POST /Groups/.search`) and answers the root's 501, as RFC 7644 §3.4.3 allows; the
  tester then skips the check.
"""

import os
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

SKIPPED_BY_DESIGN = {"search_with_attributes"}

client = SyncSCIMClient(
    Client(
        base_url=os.environ["SCIM_URL"],
        headers={"Authorization": f"Bearer {os.environ['SCIM_TOKEN']}"},
        timeout=30,
    )
)
results = check_server(client)
passed = [r for r in results if r.status == Status.SUCCESS]
unexpected = [
    r for r in results
    if r.status != Status.SUCCESS and not (r.status == Status.SKIPPED and r.title in SKIPPED_BY_DESIGN)
]
for result in unexpected:
    print(f"{result.status.name} {result.title}: {result.reason}", file=sys.stderr)
skipped = len(results) - len(passed) - len(unexpected)
print(f"scim2-tester: {len(passed)} passed, {skipped} skipped by design, {len(unexpected)} failed")
sys.exit(1 if unexpected or not passed else 0)
