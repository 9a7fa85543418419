"""Open the QGIS outputs in real QGIS and report what QGIS sees, as JSON on stdout.

Run with Debian's Python and python3-qgis, not the project's environment:
``QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py MAPS_DIR PNG``.
The tests in ``test_gpkg.py`` start it as a subprocess and check the JSON.
It needs only QGIS and the standard library.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from qgis.core import (  # type: ignore[import-not-found]
    QgsApplication,
    QgsCoordinateTransform,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsFeatureRequest,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsLayoutItemShape,
    QgsLegendRenderer,
    QgsLegendStyle,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize, Qt  # type: ignore[import-not-found]
from qgis.PyQt.QtGui import QColor  # type: ignore[import-not-found]


def describe(layer: QgsVectorLayer) -> dict[str, Any]:
    renderer = layer.renderer()
    info: dict[str, Any] = {
        "valid": layer.isValid(),
        "features": layer.featureCount(),
        "crs": layer.crs().authid(),
        "geometry_type": int(layer.geometryType()),
        "renderer": renderer.type() if renderer else None,
        "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
        "metadata": {
            "title": layer.metadata().title(),
            "rights": layer.metadata().rights(),
            "licenses": layer.metadata().licenses(),
            "history": layer.metadata().history(),
            "links": [link.url for link in layer.metadata().links()],
        },
    }
    if renderer and renderer.type() == "categorizedSymbol":
        info["attribute"] = renderer.classAttribute()
        info["categories"] = {
            str(c.value()): {
                "label": c.label(),
                "colour": c.symbol().color().name(QColor.HexRgb),
                "stroke": c.symbol().symbolLayer(0).strokeColor().name(QColor.HexRgb),
                "shape": c.symbol().symbolLayer(0).properties().get("name"),
            }
            for c in renderer.categories()
        }
    elif renderer and renderer.type() == "singleSymbol":
        info["colour"] = renderer.symbol().color().name(QColor.HexRgb)
        info["stroke"] = renderer.symbol().symbolLayer(0).strokeColor().name(QColor.HexRgb)
    info["labels"] = labels(layer)
    info["map_tips"] = map_tips(layer)
    return info


def map_tips(layer: QgsVectorLayer) -> dict[str, str]:
    """Return the HTML each feature's map tip gives (by fid), as QGIS fills the layer's template in."""
    if not layer.mapTipTemplate():
        return {}
    context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    tips = {}
    for feature in layer.getFeatures():
        context.setFeature(feature)
        tips[str(feature.id())] = QgsExpression.replaceExpressionText(layer.mapTipTemplate(), context)
    return tips


def labels(layer: QgsVectorLayer) -> dict[str, Any] | None:
    """Describe the layer's labels: on or not, the expression, and the text it gives each feature (by fid)."""
    if not layer.labelsEnabled() or layer.labeling() is None:
        return None
    settings = layer.labeling().settings()
    expression = QgsExpression(
        settings.fieldName if settings.isExpression else QgsExpression.quotedColumnRef(settings.fieldName)
    )
    context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    texts = {}
    for feature in layer.getFeatures():
        context.setFeature(feature)
        texts[str(feature.id())] = expression.evaluate(context)
    return {
        "field": settings.fieldName,
        "is_expression": settings.isExpression,
        "parse_error": expression.parserErrorString(),
        "eval_error": expression.evalErrorString(),
        "texts": texts,
    }


def legend_lines(legend: Any) -> list[list[str]]:
    """Return the lines a layout legend prints, top to bottom, as [style, text]: headings and item labels.

    A heading whose style is hidden (``legend/title-style``) is left out, as QGIS leaves it out of the page.
    """
    model = legend.model()
    names = {
        QgsLegendStyle.Title: "title",
        QgsLegendStyle.Group: "group",
        QgsLegendStyle.Subgroup: "subgroup",
        QgsLegendStyle.SymbolLabel: "item",
    }
    lines: list[list[str]] = []

    def walk(node: Any) -> None:
        for child in node.children():
            style = QgsLegendRenderer.nodeLegendStyle(child, model)
            if child.nodeType() == 0:  # a group
                if style != QgsLegendStyle.Hidden:
                    lines.append([names.get(style, str(style)), child.name()])
                walk(child)
                continue
            nodes = model.layerLegendNodes(child)
            if style != QgsLegendStyle.Hidden and not (len(nodes) == 1 and nodes[0].data(Qt.DisplayRole) == ""):
                lines.append([names.get(style, str(style)), child.name()])
            for item in nodes:
                text = item.data(Qt.DisplayRole)
                if text:
                    lines.append(["item", text])

    walk(model.rootGroup())
    return lines


def drawn(item: Any) -> list[dict[str, Any]]:
    """Describe the vector layers a layout map draws, top first: name, filter, and the features inside its frame.

    ``drawn`` counts the features with a geometry inside the map's extent, ``groups`` their commodity groups
    (for a layer with a ``commodity_group`` column).
    """
    out = []
    for layer in item.layersToRender():
        if not isinstance(layer, QgsVectorLayer):
            continue
        extent = QgsCoordinateTransform(item.crs(), layer.crs(), QgsProject.instance()).transformBoundingBox(
            item.extent()
        )
        request = QgsFeatureRequest().setFilterRect(extent)
        features = [f for f in layer.getFeatures(request) if f.hasGeometry()]
        info: dict[str, Any] = {"name": layer.name(), "subset": layer.subsetString(), "drawn": len(features)}
        if layer.fields().indexOf("commodity_group") >= 0:
            info["groups"] = sorted({str(f["commodity_group"]) for f in features})
            info["features"] = layer.featureCount()
        out.append(info)
    return out


def atlas_pages(layout: Any, png: Path) -> dict[str, Any] | None:
    """Export each page of a layout's atlas to ``<png stem>_page<n>.png``, as a QGIS user exporting the atlas would.

    Returns its coverage layer, page names, and per page the labels' text as QGIS fills them in and the PNG;
    None for a layout without an atlas.
    """
    atlas = layout.atlas()
    if not atlas.enabled():
        return None
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 100
    labels = [i for i in layout.items() if isinstance(i, QgsLayoutItemLabel)]
    pages = []
    if not atlas.beginRender():
        return {"coverage": atlas.coverageLayer().name() if atlas.coverageLayer() else None, "pages": []}
    for number in range(atlas.count()):
        atlas.seekTo(number)
        feature = layout.reportContext().feature()
        path = png.with_name(f"{png.stem}_page{number + 1}.png")
        result = QgsLayoutExporter(layout).exportToImage(str(path), settings)
        pages.append(
            {
                "name": atlas.nameForPage(number),
                "feature": {f.name(): str(feature[f.name()]) for f in feature.fields()},
                "labels": {i.id(): i.currentText() for i in labels},
                "exported": result == QgsLayoutExporter.Success,
                "png": str(path),
            }
        )
    atlas.endRender()
    coverage = atlas.coverageLayer()
    return {
        "coverage": coverage.name() if coverage else None,
        "coverage_features": coverage.featureCount() if coverage else None,
        "count": atlas.count(),
        "pages": pages,
    }


def print_layout(layout: Any, png: Path) -> dict[str, Any]:
    """Describe a print layout's items and export it to `png` as a QGIS user pressing Export would."""
    items = list(layout.items())
    maps = [i for i in items if isinstance(i, QgsLayoutItemMap)]
    legends = [i for i in items if isinstance(i, QgsLayoutItemLegend)]
    bars = [i for i in items if isinstance(i, QgsLayoutItemScaleBar)]
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 100
    result = QgsLayoutExporter(layout).exportToImage(str(png), settings)
    return {
        "name": layout.name(),
        "labels": [i.text() for i in items if isinstance(i, QgsLayoutItemLabel)],
        "maps": [
            {
                "crs": m.crs().authid(),
                "scale": m.scale(),
                "layers": len(m.layersToRender()),
                "keep_layer_set": m.keepLayerSet(),
                "drawn": drawn(m),
            }
            for m in maps
        ],
        "legends": [{"linked": lg.linkedMap() is not None, "rows": lg.model().rowCount()} for lg in legends],
        "legend_lines": [legend_lines(lg) for lg in legends],
        "shapes": [
            {
                "fill": s.symbol().color().name(QColor.HexRgb),
                "stroke": s.symbol().symbolLayer(0).strokeColor().name(QColor.HexRgb),
                "width": s.symbol().symbolLayer(0).strokeWidth(),
                "style": s.symbol().symbolLayer(0).properties().get("outline_style"),
            }
            for s in items
            if isinstance(s, QgsLayoutItemShape)
        ],
        "scale_bars": [
            {"linked": b.linkedMap() is not None, "units": b.unitLabel(), "per_segment": b.unitsPerSegment()}
            for b in bars
        ],
        "exported": result == QgsLayoutExporter.Success,
        "png": str(png),
        "atlas": atlas_pages(layout, png),
    }


def read_capturing_stderr(project: Any, path: Path) -> tuple[bool, str]:
    """Read the project, returning what QGIS, Qt and PROJ wrote on the standard error meanwhile (file descriptor 2)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            ok = project.read(str(path))
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode("utf-8", "replace")
    sys.stderr.write(text)  # still shown to whoever runs the probe
    return ok, text


def main() -> None:
    maps, png = Path(sys.argv[1]), Path(sys.argv[2])
    app = QgsApplication([], False)
    app.initQgis()
    report: dict[str, Any] = {"layers": {}, "project": {}}
    gpkg = maps / "resource_control.gpkg"
    probe = QgsVectorLayer(str(gpkg), "probe", "ogr")
    names = sorted({entry.split("!!::!!")[1] for entry in probe.dataProvider().subLayers()})
    for name in names:
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        report["layers"][name] = describe(layer)
        del layer
    del probe

    project = QgsProject.instance()
    ok, opening = read_capturing_stderr(project, maps / "resource_control.qgz")
    root = project.layerTreeRoot()
    layers = list(project.mapLayers().values())
    report["project"] = {
        "read": ok,
        "stderr": opening,
        "crs": {"valid": project.crs().isValid(), "authid": project.crs().authid()},
        "ellipsoid": project.ellipsoid(),
        "title": project.title(),
        "absolute_paths": project.readBoolEntry("Paths", "/Absolute", True)[0],
        "groups": [g.name() for g in root.children()],
        "order": [n.name() for n in root.findLayers()],
        "visible": [n.name() for n in root.findLayers() if n.isVisible()],
        "layers": {
            layer.name(): {
                "valid": layer.isValid(),
                "source": layer.source(),
                "features": layer.featureCount(),
                "renderer": layer.renderer().type() if hasattr(layer, "renderer") and layer.renderer() else None,
                "temporal": {
                    "active": layer.temporalProperties().isActive(),
                    "mode": int(layer.temporalProperties().mode()),
                    "start": layer.temporalProperties().startField(),
                    "end": layer.temporalProperties().endField(),
                }
                if layer.isSpatial()
                else None,
            }
            for layer in layers
        },
        "credits": QgsExpressionContextUtils.projectScope(project).variable("project_credits"),
        "scenario": QgsExpressionContextUtils.projectScope(project).variable("scenario"),
        "author": project.metadata().author(),
        "abstract": project.metadata().abstract(),
    }
    settings = QgsMapSettings()
    settings.setLayers([n.layer() for n in root.findLayers() if n.layer() and n.layer().isSpatial() and n.isVisible()])
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(800, 600))
    settings.setExtent(project.viewSettings().defaultViewExtent() or settings.fullExtent())
    settings.setBackgroundColor(QColor("#ffffff"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(png), "PNG")
    report["project"]["extent"] = settings.extent().toString()
    report["layouts"] = [
        print_layout(layout, png.with_name(f"layout_{i}.png"))
        for i, layout in enumerate(project.layoutManager().printLayouts())
    ]
    print(json.dumps(report), flush=True)
    del job, settings, layers, root
    project.clear()
    app.exitQgis()


if __name__ == "__main__":
    main()
