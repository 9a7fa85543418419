"""Build the maps, tables and summary in maps/ from the data in layers/.

Usage: python scripts/build_maps.py [--layers DIR] [--out DIR] [--snapshot YYYY-MM-DD]
"""

import sys

from geo.cli import build_maps

if __name__ == "__main__":
    sys.exit(build_maps(sys.argv[1:]))
