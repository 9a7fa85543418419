"""Open the QGIS outputs in real QGIS and report what QGIS sees, as JSON on stdout.

Run with Debian's Python and python3-qgis, not the project's environment:
``QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py MAPS_DIR PNG``.
The tests in ``test_gpkg.py`` start it as a subprocess and check the JSON.
It needs only QGIS and the standard library.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from qgis.core import (  # type: ignore[import-not-found]
    QgsApplication,
    QgsExpressionContextUtils,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # type: ignore[import-not-found]
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
    return info


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
        "maps": [{"crs": m.crs().authid(), "scale": m.scale(), "layers": len(m.layersToRender())} for m in maps],
        "legends": [{"linked": lg.linkedMap() is not None, "rows": lg.model().rowCount()} for lg in legends],
        "scale_bars": [{"linked": b.linkedMap() is not None, "units": b.unitLabel()} for b in bars],
        "exported": result == QgsLayoutExporter.Success,
        "png": str(png),
    }


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
    ok = project.read(str(maps / "resource_control.qgz"))
    root = project.layerTreeRoot()
    layers = list(project.mapLayers().values())
    report["project"] = {
        "read": ok,
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
