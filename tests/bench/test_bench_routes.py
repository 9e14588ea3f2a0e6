"""The pure parts of `bench/bench_routes.py`: wrk output, PSS, the route list, its arguments.

The wrk samples in `wrk_samples/` are real `wrk --latency` outputs: a run of this app's stock
list, and runs against a small local server made to answer some 404s, to answer one request
in 40 after 1.3 s (latencies in us, ms and s), and to outlast wrk's `--timeout`.
"""

from pathlib import Path

import pytest

from bench.bench_routes import (
    ProductionServer,
    build_routes,
    parse_args,
    parse_pss_kb,
    parse_wrk,
    wrk_command,
)

SAMPLES = Path(__file__).resolve().parent / "wrk_samples"

# /proc/PID/smaps_rollup as Linux 6 writes it.
SMAPS_ROLLUP = """\
558d29114000-7ffc42e86000 ---p 00000000 00:00 0                          [rollup]
Rss:               92416 kB
Pss:               51234 kB
Pss_Dirty:         40112 kB
Pss_Anon:          40112 kB
Pss_File:          11122 kB
Pss_Shmem:             0 kB
Shared_Clean:      31516 kB
Shared_Dirty:      20000 kB
Private_Clean:        40 kB
Private_Dirty:     40112 kB
Swap:                  0 kB
SwapPss:               0 kB
"""


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_a_clean_run_gives_requests_per_second_and_percentiles_in_ms():
    result = parse_wrk(sample("inventory_c32.txt"))
    assert result.requests == 171
    assert result.seconds == 2.03
    assert result.rps == 84.25
    assert (result.p50_ms, result.p75_ms, result.p90_ms, result.p99_ms) == (
        338.52,
        371.54,
        458.01,
        603.45,
    )
    assert result.non_2xx == 0
    assert result.valid


def test_non_2xx_answers_are_counted_and_make_the_figure_invalid():
    result = parse_wrk(sample("non_2xx.txt"))
    assert result.non_2xx == 105
    assert result.requests == 314
    assert not result.valid


def test_latencies_in_microseconds_milliseconds_and_seconds_are_converted_to_ms():
    result = parse_wrk(sample("us_ms_s_units.txt"))
    assert result.p50_ms == pytest.approx(0.15)  # 150.00us
    assert result.p75_ms == pytest.approx(632.54)  # 632.54ms
    assert result.p90_ms == pytest.approx(1030.0)  # 1.03s
    assert result.p99_ms == pytest.approx(1300.0)  # 1.30s


def test_socket_timeouts_are_counted_and_make_the_figure_invalid():
    result = parse_wrk(sample("socket_timeouts.txt"))
    assert result.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 8}
    assert result.non_2xx == 0
    assert not result.valid


def test_text_that_is_not_wrk_output_is_refused():
    with pytest.raises(ValueError, match="not wrk output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_wrk_is_run_with_the_bearer_token_latency_and_the_connections_asked():
    cmd = wrk_command("http://127.0.0.1:8000/api/health", "abc", 32, 5)
    assert cmd[:4] == ["wrk", "-t2", "-c32", "-d5s"]
    assert "--latency" in cmd
    assert cmd[cmd.index("-H") + 1] == "Authorization: Bearer abc"
    assert cmd[-1] == "http://127.0.0.1:8000/api/health"


def test_pss_is_the_pss_line_not_its_anon_or_file_parts():
    assert parse_pss_kb(SMAPS_ROLLUP) == 51234


def test_smaps_without_a_pss_line_is_refused():
    with pytest.raises(ValueError, match="no Pss"):
        parse_pss_kb("Rss:  100 kB\n")


def test_the_route_list_names_the_sku_and_location_given():
    paths = [route.path for route in build_routes("SKU-1", "LOC-7")]
    assert paths == [
        "/api/health",
        "/api/items/SKU-1",
        "/api/inventory/summary",
        "/api/locations/LOC-7",
        "/api/items",
        "/api/inventory",
        "/api/items?limit=100",
        "/api/items?limit=100&ordering=name",
        "/api/inventory?limit=100&ordering=item_name",
    ]


def test_only_the_ordered_pages_must_be_uncached():
    uncached = [route.path for route in build_routes("S", "L") if route.uncached]
    assert uncached == [
        "/api/items?limit=100&ordering=name",
        "/api/inventory?limit=100&ordering=item_name",
    ]


def test_a_sku_with_a_slash_or_space_is_quoted_into_one_path_segment():
    assert build_routes("A/B C", "L")[1].path == "/api/items/A%2FB%20C"


def test_base_url_without_a_token_is_an_error(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--base-url", "http://127.0.0.1:3000", "--sku", "S", "--location", "L"])
    assert "--base-url needs --token" in capsys.readouterr().err


def test_base_url_with_token_sku_and_location_is_accepted():
    args = parse_args(
        ["--base-url", "http://127.0.0.1:3000", "--token", "T", "--sku", "S", "--location", "L"]
    )
    assert (args.base_url, args.token, args.sku, args.location) == (
        "http://127.0.0.1:3000",
        "T",
        "S",
        "L",
    )


def test_app_ref_with_base_url_is_an_error(capsys):
    with pytest.raises(SystemExit):
        parse_args(
            ["--base-url", "http://x:1", "--token", "T", "--sku", "S", "--location", "L"]
            + ["--app-ref", "HEAD"]
        )
    assert "need no --base-url" in capsys.readouterr().err


def test_connections_default_to_32_then_8():
    assert parse_args([]).connections == [32, 8]


def test_connections_that_are_not_positive_numbers_are_an_error():
    with pytest.raises(SystemExit):
        parse_args(["--connections", "32,0"])


def test_a_redis_url_off_the_loopback_is_refused():
    with pytest.raises(SystemExit, match="only talks to 127.0.0.1"):
        parse_args(["--redis-url", "redis://10.0.0.5:6379/14"])


def test_the_server_is_the_procfiles_web_process_at_its_defaults(tmp_path):
    (tmp_path / "inventory_project").mkdir()
    (tmp_path / "inventory_project" / "server.py").touch()

    server = ProductionServer(
        Path("/venv"), {"BENCH_APP_DIR": str(tmp_path)}, Path("/log"), port=8123
    )

    assert server.cmd == ["/venv/bin/python", "-m", "inventory_project.server"]
    assert server.env["WEB_BIND"] == "127.0.0.1:8123"
    assert "WEB_CONCURRENCY" not in server.env


def test_a_commit_from_before_the_server_module_runs_its_gunicorn_config(tmp_path):
    server = ProductionServer(
        Path("/venv"), {"BENCH_APP_DIR": str(tmp_path)}, Path("/log"), port=8123, no_recycle=True
    )
    assert server.cmd == [
        "/venv/bin/gunicorn",
        "inventory_project.wsgi:application",
        "--config",
        f"{tmp_path}/gunicorn.conf.py",
        "--bind",
        "127.0.0.1:8123",
        "--max-requests",
        "0",
    ]
