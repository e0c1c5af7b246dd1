"""Which branches a principal may act in: all of them, or those it manages."""

from dataclasses import dataclass

from app.errors import PermissionDenied
from app.security.actor import request_scope_of
from app.security.permissions import ORGANIZATION_WIDE_ROLES
from blueprints.branches.queries import branches_managed_by
from blueprints.classes.queries import classes_taught_by


@dataclass(frozen=True)
class BranchScope:
    branch_ids: frozenset | None  # None: the whole organization
    taught_class_ids: frozenset = frozenset()  # a teacher also reaches the classes they teach

    def allows_class(self, class_id, branch_id):
        return self.allows(branch_id) or class_id in self.taught_class_ids

    @property
    def organization_wide(self):
        return self.branch_ids is None

    def allows(self, branch_id):
        return self.branch_ids is None or branch_id in self.branch_ids

    def require(self, branch_id):
        if not self.allows(branch_id):
            raise PermissionDenied("You can only act in the branches you manage.", code="OUT_OF_SCOPE")


def scope_of(principal):
    """The branches and classes `principal` reaches: kept for the request when it is the request's actor."""
    scope = request_scope_of(principal)
    return scope if scope is not None else compute_scope(principal)


def compute_scope(principal):
    """Two queries for a person below org admin (the branches they manage, the classes they teach)."""
    if any(role in ORGANIZATION_WIDE_ROLES for role in principal.roles):
        return BranchScope(None)
    if principal.kind != "user":
        return BranchScope(frozenset())  # a key without an org-wide role has no branches of its own

    return BranchScope(branches_managed_by(principal.id), classes_taught_by(principal.id))
