"""Benchmark: our overview map against geopandas ``explore()`` on the same layers.

Builds the overview from the shipped layers with this project and with
``GeoDataFrame.explore()`` (oblasts, raions, occupied since and before 2022,
deposits), makes both self-contained (explore's CDN assets are fetched once
with ``npm pack`` into bench/.cache and inlined the same way), and prints for
both and as ratios: HTML bytes raw and gzip, build seconds, and headless
Chromium render-to-idle milliseconds (median of --loads loads).

Usage: python bench/overview_vs_explore.py [--loads 21] [--out bench/out]

Not a test: it needs the npm registry the first time and prints numbers.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import subprocess
import tarfile
import time
from pathlib import Path

import folium
import geopandas as gpd
from playwright.sync_api import sync_playwright

from geo import build, catalogue, offline, schema

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# folium's default CDN assets → (npm package, file inside it). Two folium files have no npm copy:
# bootstrap-glyphicons.css (Bootstrap 3.0.0, not on npm) and leaflet.awesome.rotate.min.css (a
# 0.5 kB file in folium's GitHub repo); they are inlined as empty stylesheets, which flatters explore.
EXPLORE_ASSETS = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": ("leaflet@1.9.3", "dist/leaflet.js"),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": ("leaflet@1.9.3", "dist/leaflet.css"),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery@3.7.1", "dist/jquery.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap@5.2.2",
        "dist/js/bootstrap.bundle.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap@5.2.2",
        "dist/css/bootstrap.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "drmonty-leaflet-awesome-markers@2.0.2",
        "js/leaflet.awesome-markers.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "drmonty-leaflet-awesome-markers@2.0.2",
        "css/leaflet.awesome-markers.css",
    ),
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "@fortawesome/fontawesome-free@6.2.0",
        "css/all.min.css",
    ),
}
EMPTY_ASSETS = (
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
)


def _package_dir(spec: str) -> Path:
    name = spec.rsplit("@", 1)[0].lstrip("@").replace("/", "-")
    target = CACHE / spec.replace("/", "_")
    if not target.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(["npm", "pack", spec, "--silent"], cwd=CACHE, capture_output=True, text=True, check=True)
        tarball = CACHE / out.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as tar:
            tar.extractall(target, filter="data")
        tarball.unlink()
        _ = name
    return target / "package"


def _inline_explore(page: str) -> str:
    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        package, rel = EXPLORE_ASSETS[url]
        code = (_package_dir(package) / rel).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match[str]) -> str:
        url = match.group(1)
        if url in EMPTY_ASSETS:
            return "<style></style>"
        package, rel = EXPLORE_ASSETS[url]
        path = _package_dir(package) / rel
        css = path.read_text(encoding="utf-8")

        def embed(m: re.Match[str]) -> str:
            target = m.group("url")
            if target.startswith(("data:", "#")):
                return m.group(0)
            file = (path.parent / target.split("?")[0].split("#")[0]).resolve()
            return f"url({offline._data_uri(file)})" if file.is_file() else m.group(0)

        return f"<style>{offline._CSS_URL.sub(embed, css)}</style>"

    page = re.sub(r'<script src="([^"]+)"></script>', script, page)
    return re.sub(r'<link rel="stylesheet" href="([^"]+)"\s*/?>', style, page)


def build_ours(inputs: build.Inputs, results: build.Results) -> str:
    arguments = build.map_arguments(inputs, results)
    return build.render_map(catalogue.MAPS[0], arguments, build.drawn_geometry(arguments)).decode("utf-8")


def build_explore(_inputs: build.Inputs, results: build.Results) -> str:
    regions = results.regions
    oblasts = gpd.GeoDataFrame(regions[regions["level"] == "oblast"][["name_en", "occupied_share", "geometry"]])
    raions = gpd.GeoDataFrame(regions[regions["level"] == "raion"][["name_en", "occupied_share", "geometry"]])
    parts = results.parts.reset_index()
    deposits = results.deposits[results.deposits["location_known"]][
        ["name_en", "primary_commodity", "control_status", "source_url", "geometry"]
    ]
    fmap = oblasts.explore(name="Oblasts", tiles=None, style_kwds={"fillOpacity": 0})
    raions.explore(m=fmap, name="Raions", style_kwds={"fillOpacity": 0})
    gpd.GeoDataFrame(parts.iloc[[1]]).explore(m=fmap, name="Occupied since 2022", color="#a52714")
    gpd.GeoDataFrame(parts.iloc[[0]]).explore(m=fmap, name="Occupied before 2022", color="#880e4f")
    gpd.GeoDataFrame(deposits).explore(m=fmap, name="Deposits", column="primary_commodity")
    folium.LayerControl().add_to(fmap)
    page = fmap.get_root().render()
    extra = [
        u
        for u in re.findall(r'(?:src|href)="(https://[^"]+)"', page)
        if u not in EXPLORE_ASSETS and u not in EMPTY_ASSETS
    ]
    for url in extra:  # e.g. branca's d3 for the legend
        page = page.replace(f'<script src="{url}"></script>', "")
    return _inline_explore(page)


IDLE_JS = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"


def render_to_idle_ms(paths: list[Path], loads: int) -> list[float]:
    """Median milliseconds from navigation start to the second animation frame after ``load``, per page.

    Loads of the pages are interleaved (A, B, A, B, …) in one browser so that
    drifting machine load hits them alike; each load is a fresh page.
    """
    times: dict[Path, list[float]] = {path: [] for path in paths}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(loads):
            for path in paths:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(path.as_uri(), wait_until="load")
                times[path].append(float(page.evaluate(IDLE_JS)))
                page.close()
        browser.close()
    return [float(statistics.median(times[path])) for path in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=21)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    inputs = build.load(ROOT / "layers")
    results = build.compute(inputs)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[float]] = {}
    paths = []
    for label, make in (("this project", build_ours), ("explore()", build_explore)):
        make(inputs, results)  # warm-up (imports, npm cache)
        start = time.perf_counter()
        page = make(inputs, results)
        seconds = time.perf_counter() - start
        path = args.out / f"overview_{'ours' if label == 'this project' else 'explore'}.html"
        path.write_text(page, encoding="utf-8")
        paths.append(path)
        raw = len(page.encode("utf-8"))
        packed = len(gzip.compress(page.encode("utf-8"), compresslevel=9))
        unknown = [u for u in offline.external_urls(page) if not u.startswith(offline.ALLOWED_EXTERNAL)]
        rows[label] = [float(raw), float(packed), seconds, 0.0, float(len(unknown))]
    for row, idle in zip(rows.values(), render_to_idle_ms(paths, args.loads), strict=True):
        row[3] = idle
    print(f"overview map, shipped layers (snapshot {inputs.snapshot_date}); Chromium median of {args.loads} loads")
    print(f"{'':14}{'raw MB':>9}{'gzip MB':>9}{'build s':>9}{'idle ms':>9}{'ext URLs':>9}")
    for label, (raw_b, packed_b, seconds, idle, ext) in rows.items():
        print(f"{label:14}{raw_b / 1e6:9.2f}{packed_b / 1e6:9.2f}{seconds:9.2f}{idle:9.0f}{ext:9.0f}")
    ours, anchor = rows["this project"], rows["explore()"]
    print(
        f"{'ratio':14}{ours[0] / anchor[0]:9.2f}{ours[1] / anchor[1]:9.2f}{ours[2] / anchor[2]:9.2f}{ours[3] / anchor[3]:9.2f}"
    )
    print(
        "targets: bytes <= 0.35x, render-to-idle <= 0.5x (issue 3); bytes <= 0.11x, render-to-idle <= 0.4x (issue 10)"
    )
    _ = schema


if __name__ == "__main__":
    main()
