"""The top of the house: the composition root that builds every part of relevo with
its dependencies (`wiring`), the ASGI app that runs it (`asgi`), and the `relevo`
command line. Nothing below imports this package."""

from relevo.app.asgi import create_app
from relevo.app.wiring import Relevo, build

__all__ = ["Relevo", "build", "create_app"]
