"""A smoke test of ``kehu bench answer-page``'s parts (no timings): the
command is registered, a seeded wave's links answer through the same HTTP
helpers the benchmark drives, and the scratch database name cannot be one
of the lead's."""

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from kehu.bench import answer_page
from kehu.cli import build_parser

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_command_is_registered():
    args = build_parser().parse_args(["bench", "answer-page", "--invitations", "10", "--concurrency", "2"])
    assert args.invitations == 10 and args.concurrency == 2 and args.database == "kehu_bench_answers"


def test_refuses_the_lead_benchmark_databases():
    with pytest.raises(SystemExit):
        answer_page._recreate_database("postgres://postgres@127.0.0.1:5432/postgres", "kehu_bench")


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def test_seed_and_drive_a_few_submissions(tmp_path, settings):
    from django.core.cache import cache
    from django.core.wsgi import get_wsgi_application

    from kehu.surveys.models import Response

    settings.KEHU_ANSWER_RATE_PER_IP = 0
    cache.clear()
    tokens_file = tmp_path / "tokens.txt"
    answer_page.seed(6, str(tokens_file))
    tokens = tokens_file.read_text().split()
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        loads = answer_page.drive(port, tokens, 1, "get")
        assert loads["errors"] == 0 and len(loads["sessions"]) == 6
        posts = answer_page.drive(port, tokens, 1, "post", loads["sessions"])
        assert posts["errors"] == 0, posts["statuses"]
    finally:
        server.shutdown()
    assert Response.objects.filter(status="complete", index__isnull=False).count() == 6
    assert answer_page._percentile([3, 1, 2], 50) == 2
