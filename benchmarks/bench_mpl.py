"""Multiple-patterning benchmarks (asv).

Targets (issue 4, 2-core CPU): sim_c5 TPL exact without stitches <= 5 s; ~40,000
rectangles <= 60 s exact and <= 3 s fast. The 40,000-rectangle layout is sim_c5 tiled
2 x 2 with a gap far beyond the colouring distance (39,048 rectangles).
"""

from pathlib import Path


import litho
from litho.multipatterning import conflict_graph, decompose

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mpl"


def mpl_layout(index: int) -> "litho.Layout":
    return litho.Layout.read(DATA / f"sim_c{index}.gds")


def tiled(layout: "litho.Layout", n: int = 2, gap: float = 1000.0) -> "litho.Layout":
    x0, y0, x1, y1 = layout.bbox
    polygons = []
    for i in range(n):
        for j in range(n):
            moved = layout.translate(i * (x1 - x0 + gap), j * (y1 - y0 + gap))
            polygons.extend(moved.polygons)
    return litho.Layout.from_polygons(polygons)


class ConflictGraph:
    def setup(self):
        self.c5 = mpl_layout(5)
        self.big = tiled(self.c5)

    def time_graph_sim_c5(self):
        conflict_graph(self.c5, 120.0)

    def time_graph_40k(self):
        conflict_graph(self.big, 120.0)


class Decompose:
    timeout = 600
    params = [["exact", "fast"], [False, True]]
    param_names = ["solver", "stitches"]

    def setup(self, solver, stitches):
        self.c5 = mpl_layout(5)
        self.big = tiled(self.c5)

    def time_tpl_sim_c5(self, solver, stitches):
        decompose(self.c5, 3, 120.0, solver=solver, stitches=stitches)

    def time_tpl_40k(self, solver, stitches):
        decompose(self.big, 3, 120.0, solver=solver, stitches=stitches)
