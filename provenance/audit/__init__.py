"""The audit: a scan judged against the approvals ledger under a policy.

``policy`` (the policy file and its defaults), ``evaluate`` (the pure rule:
assets + approvals + policy → findings and statuses) and ``runner``
(``audit_delivery``: scan, hash, open the ledger, evaluate).
"""

from __future__ import annotations

from provenance.audit.evaluate import ApprovalLike, AuditResult, LedgerInfo, evaluate
from provenance.audit.policy import Policy, PolicyError, load_policy
from provenance.audit.runner import audit_delivery

__all__ = ["ApprovalLike", "AuditResult", "LedgerInfo", "Policy", "PolicyError", "audit_delivery",
           "evaluate", "load_policy"]
