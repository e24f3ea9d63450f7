"""The top of the house: the composition root that builds every part of relevo with
its dependencies (`wiring`), the ASGI app that runs it (`asgi`), and the `relevo`
command line. Nothing below imports this package.

The names below load on first use: the command line (`relevo.app.cli`) lives in this
package and must start without importing the web stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relevo.app.asgi import create_app
    from relevo.app.wiring import Relevo, build

__all__ = ["Relevo", "build", "create_app"]



def __getattr__(name: str) -> Any:
    if name == "create_app":
        from relevo.app.asgi import create_app

        return create_app
    if name in ("Relevo", "build"):
        from relevo.app import wiring

        return getattr(wiring, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
