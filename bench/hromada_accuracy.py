"""Benchmark: how far the coarse Minregion 2020 hromadas are from the OSM 2026 hromadas, where both exist.

The build takes the hromadas of Donetsk, Zaporizhzhia and Kirovohrad oblasts from the OSM file
(`geo.schema.HROMADAS_FILE`, 182 hromadas, full detail) and every other hromada from the Minregion file
(`geo.schema.COUNTRY_HROMADAS_FILE`, about 25 vertices per hromada).  In the three focus oblasts both files have
the same 182 hromadas, under the same KATOTTG codes: the Minregion rows the build leaves out there are compared
with the OSM ones, code by code, to say how good the coarse file is where it is the only source.

Per hromada:

- area difference, Minregion − OSM, in km² and in % of the OSM area (areas in `geo.schema.AREA_CRS`,
  equal-area);
- Hausdorff distance between the two outlines, in metres (`geo.schema.DISTANCE_CRS`), the coarse outline
  densified to a point every `--step` metres (default 100 m): the largest gap between the two outlines;
- mean distance from the coarse outline's points (the same densified points) to the OSM outline, and the other
  way round (the OSM outline densified the same way, to the coarse outline): the typical gap.  The second is the
  larger: a coarse outline's vertices lie on the OSM outline, but its 4 km chords cut across every bend between them;
- intersection over union of the two polygons;
- vertices of each (the outline as stored).

Prints the median, the 95th percentile (linear interpolation) and the largest value of each, with the hromada
that has the largest.

Usage: python bench/hromada_accuracy.py [--layers layers] [--step 100]

Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import schema, sources  # noqa: E402


def _stats(values: pd.Series, names: pd.Series, unit: str, decimals: int = 1) -> str:
    worst = str(values.abs().idxmax())
    return (
        f"median {values.median():,.{decimals}f} {unit}, 95th percentile {np.percentile(values, 95):,.{decimals}f} "
        f"{unit}, largest {values.abs().max():,.{decimals}f} {unit} ({worst} {names[worst]})"
    )


def measure(layers: Path, *, step_m: float = 100.0) -> pd.DataFrame:
    """Compare the Minregion hromadas of the focus oblasts with the OSM ones, code by code.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``region_id``: ``name_en``, ``area_osm_km2``, ``area_minregion_km2``, ``area_diff_km2``
        (Minregion − OSM), ``area_diff_pct`` (of the OSM area), ``hausdorff_m``, ``mean_distance_m`` (coarse
        points to the OSM outline), ``mean_distance_back_m`` (OSM points to the coarse outline), ``iou``,
        ``vertices_osm``, ``vertices_minregion``.
    """
    osm = sources.read_hromadas(layers / schema.HROMADAS_FILE)
    every = sources.read_country_hromadas(layers / schema.COUNTRY_HROMADAS_FILE, skip_oblasts=())
    coarse = every[every.index.str[:4].isin(schema.OSM_HROMADA_OBLASTS)]
    missing = sorted(set(osm.index) - set(coarse.index))
    extra = sorted(set(coarse.index) - set(osm.index))
    if missing or extra:
        print(f"not matched by code: OSM only {missing}, Minregion only {extra}")
    ids = sorted(set(osm.index) & set(coarse.index))
    osm, coarse = osm.loc[ids], coarse.loc[ids]
    area_osm = osm.geometry.to_crs(schema.AREA_CRS).area / 1e6
    area_coarse = coarse.geometry.to_crs(schema.AREA_CRS).area / 1e6
    fine_m = np.asarray(osm.geometry.to_crs(schema.DISTANCE_CRS).array, dtype=object)
    coarse_m = np.asarray(coarse.geometry.to_crs(schema.DISTANCE_CRS).array, dtype=object)
    fine_line = shapely.boundary(shapely.make_valid(fine_m))
    coarse_line = shapely.segmentize(shapely.boundary(shapely.make_valid(coarse_m)), step_m)
    hausdorff, mean_distance, mean_back = [], [], []
    for a, b in zip(coarse_line, fine_line, strict=True):
        points = shapely.points(shapely.get_coordinates(a))
        mean_distance.append(float(np.mean(shapely.distance(points, b))))
        back = shapely.points(shapely.get_coordinates(shapely.segmentize(b, step_m)))
        mean_back.append(float(np.mean(shapely.distance(back, a))))
        hausdorff.append(float(shapely.hausdorff_distance(a, b)))
    valid_fine, valid_coarse = shapely.make_valid(fine_m), shapely.make_valid(coarse_m)
    iou = shapely.area(shapely.intersection(valid_fine, valid_coarse)) / shapely.area(
        shapely.union(valid_fine, valid_coarse)
    )
    return pd.DataFrame(
        {
            "name_en": coarse["name_en"],
            "area_osm_km2": area_osm,
            "area_minregion_km2": area_coarse,
            "area_diff_km2": area_coarse - area_osm,
            "area_diff_pct": (area_coarse - area_osm) / area_osm * 100,
            "hausdorff_m": hausdorff,
            "mean_distance_m": mean_distance,
            "mean_distance_back_m": mean_back,
            "iou": iou,
            "vertices_osm": shapely.get_num_coordinates(np.asarray(osm.geometry.array, dtype=object)),
            "vertices_minregion": shapely.get_num_coordinates(np.asarray(coarse.geometry.array, dtype=object)),
        },
        index=pd.Index(ids, name=schema.REGION_ID),
    )


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--layers", type=Path, default=ROOT / "layers")
    parser.add_argument("--step", type=float, default=100.0, help="densify the coarse outline every STEP metres")
    args = parser.parse_args(argv)
    table = measure(args.layers, step_m=args.step)
    names = table["name_en"]
    n = len(table)
    print(f"{n} hromadas of Donetsk, Zaporizhzhia and Kirovohrad oblasts in both files, matched by KATOTTG code")
    print(
        f"total area: OSM {table['area_osm_km2'].sum():,.0f} km², Minregion {table['area_minregion_km2'].sum():,.0f} "
        f"km² ({schema.AREA_CRS})"
    )
    print("area difference, Minregion − OSM (signed median; the 95th percentile and largest of the absolute value):")
    absolute = table[["area_diff_km2", "area_diff_pct"]].abs()
    print(
        f"  km²: signed median {table['area_diff_km2'].median():+.2f}; "
        + _stats(absolute["area_diff_km2"], names, "km²", 2)
    )
    print(
        f"  %:   signed median {table['area_diff_pct'].median():+.2f}; "
        + _stats(absolute["area_diff_pct"], names, "%", 2)
    )
    print(f"  hromadas off by more than 1 %: {int((absolute['area_diff_pct'] > 1).sum())} of {n}; by more than 5 %: "
          f"{int((absolute['area_diff_pct'] > 5).sum())}")  # fmt: skip
    print(f"boundary error (metres, the coarse outline densified every {args.step:g} m):")
    print("  Hausdorff distance: " + _stats(table["hausdorff_m"], names, "m", 0))
    print("  mean distance, coarse outline to OSM outline: " + _stats(table["mean_distance_m"], names, "m", 0))
    print("  mean distance, OSM outline to coarse outline: " + _stats(table["mean_distance_back_m"], names, "m", 0))
    iou, worst = table["iou"], str(table["iou"].idxmin())
    print(
        f"intersection over union: median {iou.median():.3f}, 5th percentile {np.percentile(iou, 5):.3f}, "
        f"smallest {iou.min():.3f} ({worst} {names[worst]})"
    )
    for column, label in (("vertices_osm", "OSM"), ("vertices_minregion", "Minregion")):
        v = table[column]
        print(f"vertices per hromada, {label}: median {v.median():,.0f}, 95th percentile {np.percentile(v, 95):,.0f}, "
              f"largest {v.max():,}, total {v.sum():,}")  # fmt: skip
    print(
        f"Reading: the coarse file keeps about 1 vertex in "
        f"{table['vertices_osm'].sum() / table['vertices_minregion'].sum():.0f}.  Its areas are close (the errors of an "
        f"outline cancel out: half the hromadas are within {absolute['area_diff_pct'].median():.1f} % of the OSM area), "
        f"its outlines are not: the typical gap between the two is {table['mean_distance_m'].median():,.0f}–"
        f"{table['mean_distance_back_m'].median():,.0f} m, the largest gap per hromada "
        f"{table['hausdorff_m'].median() / 1000:,.1f} km (median).  Good for hromada totals and a country-wide view; "
        "not for saying on which side of a hromada border a point within a few kilometres of it lies."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
