"""provenance: find generative-AI material in a delivery and prove its approvals."""

__version__ = "0.1.0"
