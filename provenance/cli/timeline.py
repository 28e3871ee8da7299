"""``provenance timeline``: list a cut's clips and how each resolved to media, before auditing with it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provenance.errors import ProvenanceError
from provenance.timeline.cut import load_cut
from provenance.timeline.listing import clip_rows, index_tree, media_root_labels, render_listing
from provenance.timeline.resolve import AssetIndex

from ._common import checked_output, format_option, write_output


@click.command(
    "timeline",
    epilog="Example:\n\n\b\n  provenance timeline reel2_conform.edl DELIVERY/ --timeline-rate 23.976\n"
           "  provenance timeline cut.otio DELIVERY/ --media-root /mnt/plates --format json",
)
@click.argument("timeline_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("delivery", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--media-root", "media_roots", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extra folder where clips may find their media (repeatable).")
@click.option("--timeline-rate", default="24", show_default=True,
              help="Frame rate of an EDL: 24, 25, 23.976, 29.97, 59.94 or a ratio like 30000/1001.")
@format_option("table", "json", default="table", help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), callback=checked_output,
              help="Write the listing to this file instead of stdout.")
def timeline_command(timeline_file: Path, delivery: Path, media_roots: tuple[Path, ...], timeline_rate: str,
                     fmt: str, output: Path | None) -> None:
    """List the clips of timeline FILE and the asset of DELIVERY each one resolves to.

    Shows record timecodes, the matching rule that found the media (path,
    file name, clip name, reel), ambiguous and unresolved clips, and for frame
    sequences the frame numbers the cut uses. Reads file names only; nothing
    is scanned. Exit 0 when every clip resolved to one asset, 1 otherwise,
    2 when the timeline cannot be read.
    """
    try:
        cut = load_cut(timeline_file, timeline_rate)
        assets = index_tree(delivery)
        for label, root in zip(media_root_labels(media_roots), media_roots):
            assets += index_tree(root, label)
        rows = clip_rows(cut, AssetIndex(assets))
    except ProvenanceError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    write_output(render_listing(cut, rows, fmt), output)
    sys.exit(0 if all(r["resolution"] == "resolved" for r in rows) else 1)
