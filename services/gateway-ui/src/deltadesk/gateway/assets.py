"""The page's static files (CSS, ES modules), served from the installed package, and the browser
code of installed wheels (plotly.js from the `plotly` wheel: no CDN, no copy in this repository).

Every response says `Cache-Control: no-cache`: the browser revalidates (a cheap 304 on loopback),
so after an upgrade it never runs an old module against a new page.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PACKAGE = "deltadesk.gateway"
PLOTLY_BUNDLE = "plotly.min.js"  # in the plotly wheel's package_data
# plotly.js injects a library's stylesheet (maplibre's) as an inline <style> when it loads, unless an
# element with this id already exists; the page's Content-Security-Policy refuses inline styles.
_STYLE_GUARD = re.compile(
    rb'getElementById\("([0-9a-f]{16,64})"\)\)\{var \w+=document\.createElement\("style"\)'
)


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


def plotly_folder() -> Path:
    """The plotly wheel's package_data folder, found without importing plotly (heavy)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly wheel is not installed: the History charts need its plotly.min.js")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data"


class VendorAssets(StaticFiles):
    """Only plotly.min.js from the plotly wheel; every other file of that folder is a 404."""

    def __init__(self) -> None:
        super().__init__(directory=plotly_folder(), check_dir=False)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path != PLOTLY_BUNDLE:
            return "", None
        return super().lookup_path(path)

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


@functools.cache
def plotly_style_guards() -> tuple[str, ...]:
    """The ids whose presence stops plotly.js from injecting inline stylesheets (read once)."""
    bundle = (plotly_folder() / PLOTLY_BUNDLE).read_bytes()
    return tuple(dict.fromkeys(match.decode() for match in _STYLE_GUARD.findall(bundle)))
