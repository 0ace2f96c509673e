"""librouteros against the sandbox's RouterOS fake, unchanged: what a
third-party client of the binary API does - the 6.43+ login and the legacy
MD5 challenge, prints through api.path(), a query with select/where, an
update, a remove, and traps raised as TrapError. Run by the sandbox's Rust
test `routeros::librouteros_works_unchanged`; exits non-zero on any
mismatch."""

import os
import sys

from librouteros import connect
from librouteros.exceptions import TrapError
from librouteros.login import plain, token
from librouteros.query import Key

USER = os.environ["ROS_USER"]
PASSWORD = os.environ["ROS_PASSWORD"]


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


def address(variable):
    host, port = os.environ[variable].rsplit(":", 1)
    return host, int(port)


def refused(host, port, login_method):
    try:
        connect(host, USER, "not-the-password", port=port, login_method=login_method)
    except TrapError as error:
        return error.message
    return None


host, port = address("ROS_MODERN")
api = connect(host, USER, PASSWORD, port=port, login_method=plain)

identity = tuple(api("/system/identity/print"))
check(identity == ({"name": "Juragan-Sandbox"},), "identity")
resource = tuple(api("/system/resource/print"))[0]
check(resource["board-name"] == "CHR" and resource["version"] == "7.18.2 (stable)", "resource")

active = api.path("ppp", "active")
sessions = list(active)
check(sorted(row["name"] for row in sessions) == ["budi.santoso", "egisetiawansempu"], "active sessions")
check(sessions[0]["radius"] is False and sessions[0]["limit-bytes-in"] == 0, "values cast as librouteros casts them")
check(sessions[0][".id"].startswith("*8"), "active ids")

name = Key("name")
found = list(active.select(Key(".id"), name).where(name == "budi.santoso"))
check(len(found) == 1 and set(found[0]) == {".id", "name"}, "select/where: exact match and proplist")
check(list(active.select(name).where(name == "Budi.Santoso")) == [], "case-sensitive; an !empty print is an empty list")

secrets = api.path("ppp", "secret")
egi = next(row for row in secrets if row["name"] == "egisetiawansempu")
check("password" not in egi and egi["disabled"] is False, "secret row")
secrets.update(**{".id": egi[".id"], "disabled": True})
egi = next(row for row in secrets if row["name"] == "egisetiawansempu")
check(egi["disabled"] is True, "update disables the secret")
check(len(list(active)) == 2, "the session stays up after the secret is disabled")

session = next(row for row in active if row["name"] == "egisetiawansempu")
active.remove(session[".id"])
check([row["name"] for row in active] == ["budi.santoso"], "remove ends the session")

try:
    active.remove("*80000099")
    check(False, "an unknown id traps")
except TrapError as error:
    check(error.message == "no such item", "an unknown id traps no such item")

try:
    tuple(api("/interface/wireless/print"))
    check(False, "an unknown menu traps")
except TrapError as error:
    check(error.message == "no such command prefix", "an unknown menu traps")

check(
    refused(host, port, plain) == "invalid user name or password (6)",
    "a wrong password traps (6.43+)",
)
api.close()

legacy_host, legacy_port = address("ROS_LEGACY")
old = connect(legacy_host, USER, PASSWORD, port=legacy_port, login_method=token)
check(tuple(old("/system/identity/print"))[0]["name"] == "Juragan-Sandbox", "legacy challenge login")
check(refused(legacy_host, legacy_port, token) == "cannot log in", "a wrong legacy response traps")
old.close()
