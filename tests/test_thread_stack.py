"""The seed kernel runs on threads with small stacks (musl's default is 128 KiB).

Its per-thread working set (lane arrays, synapse planes) lives in one heap block
per thread and call; what stays on the stack is a few hundred bytes of pointers.
(The hand-written C kernel before it kept its lane arrays on the stack and crashed
here at 64 and 32 KiB.)
"""

import threading

import pytest
from make_kernel_hashes import _schedule
from test_speed_paths import assert_bitwise_equal

import leabra_fast as lf
from leabra_fast.seed import compiled


def _run(n_threads=1):
    args, kw = _schedule(3, 2 * compiled.BLOCK + 21, 3, seed=5)  # every block width
    return lf.simulate(*args, **kw, n_cycles=30, record="all", record_every=2,
                       n_threads=n_threads)


def _on_thread(stack_bytes, **kw):
    out = {}

    def work():
        try:
            out["res"] = _run(**kw)
        except BaseException as exc:  # reported below
            out["exc"] = exc

    old = threading.stack_size(stack_bytes)
    try:
        t = threading.Thread(target=work)
        t.start()
    finally:
        threading.stack_size(old)
    t.join()
    if "exc" in out:
        raise out["exc"]
    return out["res"]


@pytest.mark.parametrize("stack_kib", [128, 64, 32])  # 32 KiB: the least Python allows
@pytest.mark.parametrize("level", compiled.simd_levels())
def test_kernel_on_a_small_stack_thread_gives_the_same_bits(stack_kib, level):
    previous = compiled.select_simd(level)
    try:
        expected = _run()
        assert_bitwise_equal(_on_thread(stack_kib * 1024), expected)
        # OpenMP's worker threads have their own (default) stacks; the calling
        # thread runs a share of the chunks on its small one.
        assert_bitwise_equal(_on_thread(stack_kib * 1024, n_threads=2), expected)
    finally:
        compiled.select_simd(previous)
