"""History: periods, the per-date tables and the charts, on the tiny world's two month-ends and its snapshot."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from geo import build, history, i18n, schema
from tests.conftest import make_layers


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
    history._finish(figure, axes, i18n.words("en"))
    figure.canvas.draw()
    legend = axes.get_legend()
    assert legend is not None
    plot_box = axes.get_window_extent()
    legend_box = legend.get_window_extent()
    assert legend_box.x0 >= plot_box.x1  # wholly to the right of the plotting area
    assert legend_box.x1 <= figure.bbox.x1  # and still on the figure
