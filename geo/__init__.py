"""resource-control-mapper: who controls Ukraine's mineral resources.

The package joins region polygons, deposit records and dated snapshots of
Russian-occupied territory, computes what is held and what is lost per region
and commodity, and writes maps and tables.  The workflows ``geo.build`` (the
build) and ``geo.update`` (the occupation refresh) compose the stages; every
other module is a single stage.
"""

__version__ = "0.1.0"
