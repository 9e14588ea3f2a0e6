"""bench/bench_writes.py's pieces that run without a server: its Lua bodies and CPU reading."""

import os

from bench import bench_writes


def test_every_lua_script_signs_in_and_makes_a_request():
    for route, body in bench_writes.LUA.items():
        script = bench_writes.LUA_HEADER.format(token="T") + body.format(
            items=2000, batch=3, nonce=1
        )

        assert 'wrk.headers["Authorization"] = "Bearer T"' in script, route
        assert "request = function()" in script, route


def test_the_stock_bodies_name_the_seeded_items_and_the_batch_its_size():
    receive = bench_writes.LUA["/api/inventory/receive"].format(items=2000, batch=3, nonce=1)
    batch = bench_writes.LUA["/api/inventory/movements/batch"].format(items=2000, batch=3, nonce=1)

    assert "math.random(0, 2000 - 1)" in receive
    assert "for n = 1, 3 do" in batch
    assert '"operations":[' in batch


def test_the_cpu_of_a_process_is_read_from_its_stat():
    assert bench_writes.cpu_seconds(os.getpid()) > 0


def test_new_items_of_two_runs_have_different_skus():
    body = bench_writes.LUA["/api/items"]

    first, second = body.format(items=1, batch=1, nonce=1), body.format(items=1, batch=1, nonce=2)

    assert '"sku":"W1-%d-%d"' in first
    assert '"sku":"W2-%d-%d"' in second
