"""Refresh the occupied-territory snapshot from the DeepStateMap API, then rebuild with build_maps.py.

Options: python scripts/refresh_occupation.py --help (argparse in geo/cli.py is the one description).
"""

import sys

from geo.cli import refresh_occupation

if __name__ == "__main__":
    sys.exit(refresh_occupation(sys.argv[1:]))
