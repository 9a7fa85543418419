"""Build the maps, tables and summary in maps/ from the data in layers/.

Options: python scripts/build_maps.py --help (argparse in geo/cli.py is the one description).
"""

import sys

from geo.cli import build_maps

if __name__ == "__main__":
    sys.exit(build_maps(sys.argv[1:]))
