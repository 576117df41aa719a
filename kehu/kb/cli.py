"""``kehu kb import DIR [--skip-bad]``, ``kehu kb search Q``.

Exit codes: 0 done; 1 some files were bad (nothing imported without
--skip-bad); 2 bad arguments.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.utils.translation import gettext as _


def cmd_import(args) -> int:
    from kehu.kb.importer import import_dir

    directory = Path(args.dir)
    if not directory.is_dir():
        print(_("No such directory: %(path)s") % {"path": directory}, file=sys.stderr)
        return 2
    result = import_dir(directory, skip_bad=args.skip_bad)
    for name, reason in result.errors:
        print(f"{name}: {reason}", file=sys.stderr)
    if result.errors and not args.skip_bad:
        print(_("Nothing imported: %(n)d file(s) are not valid (use --skip-bad to import the others).")
              % {"n": len(result.errors)}, file=sys.stderr)
        return 1
    print(_("%(n)d article(s) imported, %(bad)d file(s) skipped.") % {"n": len(result.imported),
                                                                      "bad": len(result.errors)})
    return 1 if result.errors else 0


def cmd_search(args) -> int:
    from kehu.kb.selectors import article_search

    for article in article_search(viewer=None, q=args.q, limit=args.limit, published_only=not args.all):
        print(f"{article.pk}\t{article.score:.6g}\t{article.status}\t{article.title}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("kb", help=_("the knowledge base: import articles, search"))
    kb_sub = p.add_subparsers(dest="kb_command", required=True)
    i = kb_sub.add_parser("import", help=_("import articles from Markdown files with a small header"),
                          description=_("Reads every *.md file of DIR (format: docs/knowledge-base.md). All or "
                                        "nothing unless --skip-bad."))
    i.add_argument("dir", metavar="DIR")
    i.add_argument("--skip-bad", action="store_true", help=_("import the good files, report the bad ones"))
    i.set_defaults(func=cmd_import)
    s = kb_sub.add_parser("search", help=_("search the knowledge base (published articles)"))
    s.add_argument("q", metavar="Q")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--all", action="store_true", help=_("drafts too"))
    s.set_defaults(func=cmd_search)
