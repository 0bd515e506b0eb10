"""`python -m commands ...` is `kiosk ...`."""
import sys

from commands.cli import main

sys.exit(main())
