"""A coarser spatial map for tall arrangements (the chat, and a long reply inside it).

Textual files each placement of an arrangement into every 100x20-cell bucket it covers, afresh on
every layout pass. A 2 MB reply is about 50,000 lines: thousands of buckets for its one widget, in the
chat's arrangement and again in the reply's, which was most of each layout pass while it streamed.
Buckets a 64th of the arrangement tall keep that to a few hundred; a query for the visible region
then returns a few more candidates, which the compositor culls as before.
"""

from __future__ import annotations

from textual._spatial_map import SpatialMap
from textual.layout import DockArrangeResult, WidgetPlacement

BUCKETS_HIGH = 64  # buckets down the height of a tall arrangement
BUCKET_LINES = 20  # Textual's own bucket height: kept for anything shorter


def with_coarse_map(arrangement: DockArrangeResult) -> DockArrangeResult:
    """`arrangement`, its spatial map built with buckets fitted to its height."""
    if arrangement._spatial_map is not None or not arrangement.placements:
        return arrangement
    bottom = max(placement.region.bottom for placement in arrangement.placements)
    spatial_map: SpatialMap[WidgetPlacement] = SpatialMap(100, max(BUCKET_LINES, bottom // BUCKETS_HIGH))
    spatial_map.insert(
        (p.region.grow(p.margin), p.offset, p.fixed, p.overlay, p) for p in arrangement.placements
    )
    arrangement._spatial_map = spatial_map
    return arrangement
