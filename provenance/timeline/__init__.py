"""Editorial timelines: readers per format, clip → asset resolution, source → frame mapping.

``load_cut(path, rate)`` reads one timeline (``readers.py``) and flattens it to
clip uses (``cut.py``); ``resolve`` finds each clip's asset (``resolve.py``);
``map_frames`` turns a clip's source range into a sequence's frame numbers
(``frames.py``). The audit's judgement of what it finds is ``audit/cut.py``.
"""

from __future__ import annotations

from .cut import Cut, CutClip, MediaHints, load_cut
from .errors import TimelineError
from .frames import FrameMap, map_frames
from .resolve import AssetIndex, IndexedAsset, Resolution, resolve
from .timecode import frames_to_tc, parse_rate, tc_to_frames

__all__ = ["AssetIndex", "Cut", "CutClip", "FrameMap", "IndexedAsset", "MediaHints", "Resolution", "TimelineError",
           "frames_to_tc", "load_cut", "map_frames", "parse_rate", "resolve", "tc_to_frames"]
