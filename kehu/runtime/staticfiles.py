"""Static files: hashed names, compressed copies and long-lived cache headers.

``kehu serve`` collects the apps' static files into ``STATIC_ROOT`` (``var/static``)
when they changed (:func:`collect_if_needed`): WhiteNoise's manifest storage gives
each file a name carrying a hash of its content (``kehu/charts.3f2a9c1b7d4e.js``),
writes gzip and brotli copies beside it, and WhiteNoise serves those names with
``Cache-Control: max-age=315360000, public, immutable`` — a browser asks for a
file once per release. The chart library (vega, vega-lite and vega-embed, built
by vl-convert: a few seconds) is one of those files (:class:`ChartBundleFinder`),
so it costs its time once per release, at the server's start, not on a visit.

Without a collected manifest (tests, development from a checkout) the storage
hands out the plain names and WhiteNoise serves them from the apps' folders
(``WHITENOISE_USE_FINDERS``), as before.
"""

from __future__ import annotations

import hashlib
import json
import os

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

STAMP_NAME = "kehu-static.stamp"


class KehuStaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage that falls back to the plain name
    of a file the manifest does not know (nothing collected yet: tests, development)."""

    manifest_strict = False

    def stored_name(self, name):
        if not self.hashed_files:
            return name
        try:
            return super().stored_name(name)
        except ValueError:  # collected before this file existed, or not a collected file
            return name

    def has_hashed(self, name: str) -> bool:
        """Whether the collected manifest names a hashed copy of ``name``."""
        return self.clean_name(name) in self.hashed_files


class ChartBundleFinder(BaseFinder):
    """Finds the chart bundle (``kehu/vega-<version>.js``) among the static files.

    ``find`` builds it when asked for it by name; ``list`` (what ``collectstatic``
    and WhiteNoise walk) yields it only once built, so that a test run or a
    development server never waits for it — ``kehu serve`` builds it first."""

    def check(self, **kwargs):
        return []

    def _storage(self):
        from kehu.web import charts

        return FileSystemStorage(location=str(charts.bundle_dir()))

    def find(self, path, find_all=False, **kwargs):
        from kehu.web import charts

        if path != charts.bundle_static_name():
            return [] if find_all else None
        found = str(charts.bundle_path(build=True))
        return [found] if find_all else found

    def list(self, ignore_patterns):
        from kehu.web import charts

        path = charts.bundle_path(build=False)
        if path is not None:
            storage = self._storage()
            storage.prefix = "kehu"  # served as kehu/vega-<version>.js
            yield path.name, storage


def _sources_fingerprint() -> str:
    """A hash of every static source file's name, size and modification time."""
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    seen = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            prefix = getattr(storage, "prefix", None) or ""
            try:
                st = os.stat(storage.path(path))
            except (OSError, NotImplementedError):
                continue
            seen.append(f"{prefix}/{path}\0{st.st_size}\0{st.st_mtime_ns}")
    for line in sorted(seen):
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def collect_if_needed(*, out=None) -> bool:
    """Build the chart bundle, then run ``collectstatic`` when the static sources
    changed since the last collection (or none was made). Returns whether it ran."""
    from django.conf import settings
    from django.core.management import call_command

    from kehu.web import charts

    charts.bundle_path(build=True)
    root = settings.STATIC_ROOT
    stamp = root / STAMP_NAME
    fingerprint = _sources_fingerprint()
    manifest = root / "staticfiles.json"
    try:
        if manifest.exists() and json.loads(stamp.read_text()).get("sources") == fingerprint:
            return False
    except (OSError, ValueError):
        pass
    call_command("collectstatic", interactive=False, verbosity=0, clear=False)
    root.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"sources": fingerprint}))
    return True
