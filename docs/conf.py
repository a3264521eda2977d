# Copyright (c) twisted_mysqlauth developers.
# See LICENSE for details.
"""
Sphinx configuration of the twisted_mysqlauth documentation.

Build it from the root of the checkout (warnings are errors, no network
needed)::

    python -m sphinx -W -b html docs docs/_build/html

The narrative pages are reStructuredText. The API reference is made by
pydoctor from the epytext docstrings (C{L{}}, C{C{}}, C{@param}, ...), as
Twisted's own documentation is: C{pydoctor.sphinx_ext.build_apidocs} runs
pydoctor into C{<outdir>/api/} and gives Sphinx an inventory of it, so
C{:py:class:} and friends in the narrative pages link into the API pages.

Links to the Python and Twisted documentation come from inventories made
here by introspection (C{_ext/offline_inventories.py}) rather than fetched.
"""

import atexit
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

import offline_inventories  # noqa: E402

# -- project ----------------------------------------------------------------


def _version() -> str:
    """
    Read C{__version__} without importing the package.
    """
    text = (ROOT / "twisted_mysqlauth" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    return match.group(1) if match else "unknown"


project = "twisted_mysqlauth"
author = "twisted_mysqlauth developers"
copyright = "twisted_mysqlauth developers"
release = _version()
version = release

# -- general ----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "pydoctor.sphinx_ext.build_apidocs",
]

root_doc = "index"
exclude_patterns = ["_build", "_ext", "examples", "Thumbs.db", ".DS_Store"]
templates_path: list = []
pygments_style = "sphinx"

# Twisted's and Python's inventories cannot be fetched offline: make small
# ones from what is installed, in a temporary folder removed at exit.
_inventories = tempfile.mkdtemp(prefix="mysqlauth-docs-inv-")
atexit.register(shutil.rmtree, _inventories, True)
_pythonInventory, _twistedInventory = offline_inventories.writeAll(_inventories)

intersphinx_mapping = {
    "python": (offline_inventories.PYTHON_URL, _pythonInventory),
    "twisted": (offline_inventories.TWISTED_URL, _twistedInventory),
}

# -- HTML -------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"twisted_mysqlauth {release}"
html_static_path: list = []
html_theme_options = {
    "description": "MySQL pluggable authentication, server side, for Twisted",
    "fixed_sidebar": True,
}

# -- the API reference (pydoctor) --------------------------------------------

def _pydoctorVersion() -> tuple:
    from pydoctor import __version__ as text

    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


pydoctor_args = [
    "--project-name=twisted_mysqlauth",
    f"--project-version={release}",
    f"--project-base-dir={ROOT}",
    "--docformat=epytext",
    "--project-url=../index.html",
    "--html-output={outdir}/api",
]
if _pydoctorVersion() >= (25, 10):
    # --intersphinx-file (local inventories) is new in pydoctor 25.10; older
    # versions build the same pages without links to Python and Twisted.
    pydoctor_args += [
        f"--intersphinx-file={_pythonInventory}::{offline_inventories.PYTHON_URL}",
        f"--intersphinx-file={_twistedInventory}::{offline_inventories.TWISTED_URL}",
    ]
pydoctor_args.append(str(ROOT / "twisted_mysqlauth"))
pydoctor_url_path = "api/"

#: Links in docstrings that do not resolve and that are known: reported,
#: not yet fixed in the code. Remove an entry once its docstring is fixed.
#: Any other broken link into twisted_mysqlauth fails the build.
KNOWN_BROKEN_LINKS = frozenset(
    [
    ]
)

_LINK = re.compile(r'Cannot find link target for "([^"]+)"')
_NOT_INTERFACE = re.compile(r'Class "[^"]+" is not an interface')


def _classify(line: str) -> str:
    """
    Decide how loud a line of pydoctor's report is.

    @return: C{"warning"} (fails a C{-W} build) for docstring errors and
        broken links into this package; C{"info"} (shown with C{-v}) for
        links to other
        projects that the offline inventories do not hold, and for
        pydoctor not seeing that an interface deriving from a Twisted
        interface is one.
    """
    match = _LINK.search(line)
    if match is not None:
        target = match.group(1)
        if target.split(".")[0] == "twisted_mysqlauth" and target not in KNOWN_BROKEN_LINKS:
            return "warning"
        return "info"
    if _NOT_INTERFACE.search(line):
        return "info"
    return "warning"


def _runPydoctor(name, arguments):
    """
    Run pydoctor as C{build_apidocs} does, but sort its report with
    L{_classify}.
    """
    from contextlib import redirect_stdout
    from io import StringIO

    from pydoctor.driver import main
    from sphinx.util import logging

    logger = logging.getLogger("pydoctor")
    logger.info(f"building the {name!r} API reference with pydoctor")
    with StringIO() as stream:
        with redirect_stdout(stream):
            main(args=arguments)
        for line in stream.getvalue().splitlines():
            if _classify(line) == "warning":
                logger.warning(line)
            else:
                # Shown with -v.
                logger.verbose(line)


def _apiPlaceholder(app, exception):
    """
    build_apidocs swaps the placeholder Sphinx wrote at C{<outdir>/api} for
    pydoctor's pages when the build finishes; make sure there is one to swap
    even when Sphinx had nothing to rewrite.
    """
    if exception is None and app.builder is not None and app.builder.name == "html":
        os.makedirs(os.path.join(app.outdir, "api"), exist_ok=True)


def _benchmarkPage(app, docname, source):
    """
    List the benchmark results (C{benchmark/index.rst}, written by the
    benchmark's own command) in the table of contents when they exist, and
    leave no link to them when they do not.
    """
    if docname == root_doc and (DOCS / "benchmark" / "index.rst").exists():
        source[0] = source[0].replace("   security\n", "   security\n   benchmark/index\n", 1)


def setup(app):
    from pydoctor.sphinx_ext import build_apidocs

    build_apidocs._run_pydoctor = _runPydoctor
    app.connect("build-finished", _apiPlaceholder, priority=100)
    app.connect("source-read", _benchmarkPage)
