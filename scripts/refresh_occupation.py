"""Refresh the occupied-territory snapshot from the DeepStateMap API, then rebuild with build_maps.py.

Usage: python scripts/refresh_occupation.py [--base-url URL] [--version ID | --since DATE | --from-file PATH]
       [--until DATE] [--every day|week|month]
       [--layers DIR] [--out DIR] [--force] [--replace] [--timeout S] [--retries N]
"""

import sys

from geo.cli import refresh_occupation

if __name__ == "__main__":
    sys.exit(refresh_occupation(sys.argv[1:]))
