"""The top of the house: the composition root that builds every part of relevo with
its dependencies, and the `relevo` command line. Nothing below imports this package."""

from relevo.app.wiring import Relevo, build, create_app

__all__ = ["Relevo", "build", "create_app"]
