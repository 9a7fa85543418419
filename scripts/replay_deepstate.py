"""Serve a folder of archived DeepState versions as the API on 127.0.0.1, to try the refresh without the internet.

Options: python scripts/replay_deepstate.py --help (argparse in geo/cli.py is the one description).
"""

import sys

from geo.cli import replay_deepstate

if __name__ == "__main__":
    sys.exit(replay_deepstate(sys.argv[1:]))
