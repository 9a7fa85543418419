"""History: periods, the per-date tables and the charts, on the tiny world's two month-ends and its snapshot."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from shapely.geometry import box

from geo import build, history, i18n, schema
from tests.conftest import make_layers, store_second_source


def test_occupation_periods_by_hand() -> None:
    dates = ["2022-04-30", "2022-05-31", "2022-06-30", "2022-07-31"]
    s, h = schema.OCCUPIED_SINCE_2022, schema.HELD
    statuses = pd.DataFrame(
        [[s, s, h, h], [h, s, h, s], [h, h, h, h], [schema.OCCUPIED_BEFORE_2022] * 4],
        index=["lost_then_retaken", "twice", "never", "always"],
        columns=dates,
    )
    assert history.occupation_periods(statuses).to_dict() == {
        "lost_then_retaken": "2022-04-30 → 2022-05-31",
        "twice": "2022-05-31 → 2022-05-31; 2022-07-31 → now",
        "never": "",
        "always": "2022-04-30 → now",
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hist")
    build.build(make_layers(root / "layers"), root / "maps")
    return root / "maps"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_region_series_worked_by_hand(built: Path) -> None:
    rows = {(r["date"], r["region_id"]): r for r in _rows(built / schema.HISTORY_REGIONS_CSV)}
    assert sorted({d for d, _ in rows}) == ["2025-01-31", "2025-02-28", "2026-08-22"]
    # UA14 spans lon 31–32: occupied from lon 31.5 in January (half), from 31.25 in February (three quarters).
    assert float(rows[("2025-01-31", "UA14")]["occupied_share"]) == pytest.approx(0.5, abs=1e-6)
    assert float(rows[("2025-02-28", "UA14")]["occupied_share"]) == pytest.approx(0.75, abs=1e-6)
    assert float(rows[("2025-01-31", "UA1416")]["occupied_share"]) == 0.0
    assert float(rows[("2025-02-28", "UA1416")]["occupied_share"]) == pytest.approx(0.5, abs=1e-6)
    assert float(rows[("2025-01-31", "UA35")]["occupied_share"]) == 0.0


def test_deposit_history_worked_by_hand(built: Path) -> None:
    rows = {r["id"]: r for r in _rows(built / schema.HISTORY_DEPOSITS_CSV)}
    assert rows["D6"]["occupied_since"] == "2025-02-10"  # lon 31.3: taken between the month-ends
    assert rows["D6"]["occupied_periods"] == "2025-02-28 → now"
    assert rows["D1"]["occupied_since"] == "2022-04-30"  # "by the first version"
    assert rows["D1"]["occupied_periods"] == "2025-01-31 → now"
    assert rows["D2"]["occupied_since"] == "before 2022"
    assert rows["D3"]["occupied_since"] == ""
    assert rows["D3"]["occupied_periods"] == ""


def test_ledger_counts_by_date(built: Path) -> None:
    rows = {(r["date"], r["region_id"], r["commodity"]): r for r in _rows(built / schema.LEDGER_CSV)}
    # manganese: D6 only; held in January, occupied from February.
    assert rows[("2025-01-31", "UA", "manganese")]["held"] == "1"
    assert rows[("2025-01-31", "UA", "manganese")]["occupied"] == "0"
    assert rows[("2025-02-28", "UA", "manganese")]["occupied"] == "1"


def test_charts_are_written_and_not_empty(built: Path) -> None:
    for name in (schema.CHART_SHARE_PNG, schema.CHART_DEPOSITS_PNG):
        image = Image.open(io.BytesIO((built / name).read_bytes())).convert("L")
        assert image.size[0] >= 900
        assert len(set(image.tobytes())) > 10, name  # lines and text, not a blank canvas


def test_the_chart_legend_sits_beside_the_plot_not_on_it() -> None:
    figure, axes = history._figure()
    for i in range(6):
        axes.plot([0, 1], [i * 20, 100 - i * 20], label=f"region {i}")
    history._finish(figure, axes, i18n.words("en"), credit="DeepStateMap.Live")
    figure.canvas.draw()
    legend = axes.get_legend()
    assert legend is not None
    plot_box = axes.get_window_extent()
    legend_box = legend.get_window_extent()
    assert legend_box.x0 >= plot_box.x1  # wholly to the right of the plotting area
    assert legend_box.x1 <= figure.bbox.x1  # and still on the figure


def _compare_rows() -> pd.DataFrame:
    """Two shared days of DeepState and NZZ (km² by hand), and a region other than Ukraine that is not plotted."""
    rows = [
        ("2022-09-05", "UA", 300.0, 1200.0, "ukraine"),
        ("2022-09-30", "UA", 500.0, 700.0, "ukraine"),
        ("2022-09-30", "UA14", 9999.0, 9999.0, "ukraine"),
    ]
    return pd.DataFrame(
        [
            {"date": d, "region_id": r, "source_a": "deepstate", "source_b": "nzz", "a_only_km2": a, "b_only_km2": b,
             "both_km2": 0.0, "agreement": 0.0, "footprint": f}
            for d, r, a, b, f in rows
        ]
    )  # fmt: skip


def test_the_sources_chart_plots_each_sources_km2_at_each_shared_day() -> None:
    credits = {"deepstate": "DeepStateMap.Live", "nzz": "NZZ $x$, data from Liveuamap"}
    figure = history.sources_disagreement_figure(_compare_rows(), credits=credits, words=i18n.words("en"))
    axes = figure.axes[0]
    lines = {str(line.get_label()): line for line in axes.get_lines()}
    assert sorted(lines) == [
        r"only DeepStateMap.Live (vs NZZ \$x\$, data from Liveuamap)",
        r"only NZZ \$x\$, data from Liveuamap (vs DeepStateMap.Live)",
    ]
    deepstate = lines[r"only DeepStateMap.Live (vs NZZ \$x\$, data from Liveuamap)"]
    nzz = lines[r"only NZZ \$x\$, data from Liveuamap (vs DeepStateMap.Live)"]
    assert np.asarray(deepstate.get_ydata()).tolist() == [300.0, 500.0]
    assert np.asarray(nzz.get_ydata()).tolist() == [1200.0, 700.0]
    assert [str(d)[:10] for d in np.asarray(deepstate.get_xdata())] == ["2022-09-05", "2022-09-30"]
    assert "all of Ukraine" in axes.get_title()
    texts = " ".join(" ".join(t.get_text().split()) for t in figure.texts)  # wrapped lines, joined
    assert "Occupied areas: DeepStateMap.Live; NZZ $x$, data from Liveuamap" in texts
    figure.canvas.draw()
    legend = axes.get_legend()
    assert legend is not None
    assert legend.get_window_extent().y1 <= axes.get_window_extent().y0  # under the plot, never on a line
    png = history.chart_sources_disagreement(_compare_rows(), credits=credits, words=i18n.words("uk"))
    assert Image.open(io.BytesIO(png)).size == (990, 682)


def test_the_sources_chart_is_written_only_with_a_comparison(built: Path, tmp_path: Path) -> None:
    assert not (built / schema.CHART_SOURCES_PNG).exists()
    layers = make_layers(tmp_path / "layers")
    store_second_source(layers, "nzz", "2026-08-22", box(31.5, 48, 32.5, 49), leaves_out=("pre2022",))
    out = tmp_path / "maps"
    record = build.build(layers, out, languages=("en", "uk"))
    for name in (schema.CHART_SOURCES_PNG, f"uk/{schema.CHART_SOURCES_PNG}"):
        assert name in record["outputs"], name
        image = Image.open(io.BytesIO((out / name).read_bytes())).convert("L")
        assert len(set(image.tobytes())) > 10, name
