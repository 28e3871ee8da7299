"""The delivery-path glob language, one for every setting that names paths.

The scan's ``--no-grouping`` and the policy's ``paths``, ``ignore`` and
``sequences.no_grouping`` read globs the same way, so a scan and an audit of one
delivery never disagree about which files a glob names.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def glob_regex(glob: str) -> re.Pattern[str]:
    """The policy's glob language: ``**`` spans folders (including none), ``*`` and ``?`` stay in one name."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] in "*?":
            out.append("[^/]*" if glob[i] == "*" else "[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out))
