"""Who may do what: the four roles, each with the rights of the one before it, and the local user."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each role has the rights of those before it (docs/security.md, "Accounts").
ROLES: tuple[str, ...] = ("trainee", "staff", "evaluator", "admin")
_RIGHTS: dict[str, frozenset[str]] = {
    "trainee": frozenset({"ask", "read", "export", "history"}),
    "staff": frozenset({"brief", "upload"}),
    "evaluator": frozenset({"eval"}),
    "admin": frozenset({"users", "delete", "audit", "all-documents"}),
}
ACTIONS: frozenset[str] = frozenset().union(*_RIGHTS.values())
# A group's name, wherever one is given: a user's groups, a catalog entry's, an upload's readers.
GROUP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in person (or the local user when no accounts exist)."""

    name: str
    role: str  # one of ROLES
    groups: frozenset[str] = frozenset()

    @property
    def admin(self) -> bool:
        return self.role == "admin"


# With no accounts defined the app serves one person on this machine, with every right (as before accounts).
LOCAL_USER = User("local", "admin")


def rights(role: str) -> frozenset[str]:
    """Return what `role` may do; an unknown role may do nothing."""
    if role not in ROLES:
        return frozenset()
    return frozenset().union(*(_RIGHTS[r] for r in ROLES[: ROLES.index(role) + 1]))


def may(user: User, action: str) -> bool:
    """Return whether `user` may do `action` (one of ACTIONS)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return action in rights(user.role)


def may_read(user: User, groups: frozenset[str] | tuple[str, ...]) -> bool:
    """Return whether `user` may read a document restricted to `groups` (none: everyone may)."""
    return not groups or user.admin or bool(user.groups & set(groups))
