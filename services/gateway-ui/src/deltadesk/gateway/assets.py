"""The page's static files (CSS, ES modules), served from the installed package.

Every response says `Cache-Control: no-cache`: the browser revalidates (a cheap 304 on loopback),
so after an upgrade it never runs an old module against a new page.
"""

from __future__ import annotations

import os

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PACKAGE = "deltadesk.gateway"


class PackageAssets(StaticFiles):
    def __init__(self) -> None:
        super().__init__(packages=[(PACKAGE, "static")])

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response
