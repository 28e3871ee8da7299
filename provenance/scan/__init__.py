"""Scanning a delivery: walk it, read each file once through the scanners, group sequences.

``scan_tree`` is the door. The rooms: ``walk`` (read-only folder listing),
``file_scan`` (one file through the scanners), ``executors`` (where per-file
scans run), ``cache``, ``sequences``, ``manifest`` (the package manifest),
``runner`` (the tree runner) and ``render`` (scan reports).
"""

from __future__ import annotations

from provenance.scan.file_scan import scan_bytes, scan_path
from provenance.scan.runner import Progress, ScanSettings, scan_tree

__all__ = ["Progress", "ScanSettings", "scan_bytes", "scan_path", "scan_tree"]
