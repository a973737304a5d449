#!/usr/bin/env python3
"""Train, play or check an rl_games-compatible YAML config. See README.md."""

import sys

from rl_games.cli import main

if __name__ == "__main__":
    sys.exit(main())
