"""`python -m bot`: the `newsdesk` program."""

import sys

from bot.cli import main

sys.exit(main())
