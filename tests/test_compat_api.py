"""The compat API on its own: the one-line switch (in a subprocess), bad input, PsyNeuLink."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import leabra_fast.compat.leabra as fast

SRC = str(Path(fast.__file__).resolve().parents[3])

#: a script written for leabra-psyneulink: its API only, prints its numbers
SCRIPT = textwrap.dedent("""
    import random
    import leabra

    random.seed(7)
    inp = leabra.Layer(6, genre=leabra.INPUT, name="input")
    hid = leabra.Layer(5, unit_spec=leabra.UnitSpec(adapt_on=True), name="hidden")
    out = leabra.Layer(4, spec=leabra.LayerSpec(g_i=1.4), genre=leabra.OUTPUT, name="output")
    spec = leabra.ConnectionSpec(proj="full", lrule="leabra", lrate=0.04)
    conns = [leabra.Connection(inp, hid, spec), leabra.Connection(hid, out, spec),
             leabra.Connection(out, hid, leabra.ConnectionSpec(lrule="leabra",
                                                               wt_scale_rel=0.2))]
    net = leabra.Network(spec=leabra.NetworkSpec(quarter_size=10), layers=[inp, hid, out],
                         connections=conns)
    for t in range(4):
        net.set_inputs({"input": [1, 0, 0, 1, 0, t % 2]})
        net.set_outputs({"output": [0, 1, t % 2, 0]})
        print(repr(float(net.trial())))
    print(*(repr(float(v)) for v in (out.units[1].act_m, hid.units[2].logs["v_m"][-1],
                                     net.connections[1].weights[2][3])))
    print(leabra.__name__, type(net).__module__)
""")


def _run(code: str, env_extra: dict[str, str] | None = None) -> list[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True, timeout=300)
    return out.stdout.splitlines()


def test_install_makes_import_leabra_the_compat_module() -> None:
    lines = _run("import leabra_fast.compat; leabra_fast.compat.install()\n" + SCRIPT)
    assert lines[-1] == "leabra_fast.compat.leabra leabra_fast.compat.leabra._network"
    try:
        import leabra  # noqa: F401
    except ImportError:
        pytest.skip("leabra-psyneulink is not installed: same-numbers check skipped")
    ref = _run(SCRIPT)
    assert ref[-1].startswith("leabra leabra.network")
    got = [float(x) for line in lines[:-1] for x in line.split()]
    want = [float(x) for line in ref[:-1] for x in line.split()]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_install_uninstall_in_process() -> None:
    import leabra_fast.compat as compat

    before = sys.modules.get("leabra")
    try:
        assert compat.install() is fast
        import leabra

        assert leabra is fast
    finally:
        compat.uninstall()
    assert sys.modules.get("leabra") is before


@pytest.mark.parametrize(("call", "match"), [
    (lambda: fast.Layer(0), "size must be a positive integer"),
    (lambda: fast.Layer(3, genre=7), "genre must be INPUT, HIDDEN or OUTPUT"),
    (lambda: fast.UnitSpec(act_thresh=0.5), "'act_thresh' parameter does not exist"),
    (lambda: fast.LayerSpec(gi=1.0), "'gi' parameter does not exist"),
    (lambda: fast.Connection(fast.Layer(2), fast.Layer(3), fast.ConnectionSpec(proj="1to1")),
     "'1to1' needs layers of the same size"),
    (lambda: fast.Connection(fast.Layer(2), fast.Layer(3), fast.ConnectionSpec(proj="sparse")),
     "spec.proj must be 'full' or '1to1'"),
    (lambda: fast.Connection(fast.Layer(2), fast.Layer(3),
                             fast.ConnectionSpec(rnd_type="beta")), "rnd_type"),
    (lambda: fast.Connection("a", fast.Layer(3)), "pre_layer must be a Layer"),
    (lambda: fast.Network(layers=[1]), "layers: expected Layer objects"),
])
def test_bad_construction_names_the_argument(call: object, match: str) -> None:
    with pytest.raises(fast.CompatArgumentError, match=match):
        call()  # type: ignore[operator]


def _net() -> fast.Network:
    a = fast.Layer(3, genre=fast.INPUT, name="in")
    b = fast.Layer(2, genre=fast.OUTPUT, name="out")
    return fast.Network(layers=[a, b], connections=[fast.Connection(a, b)])


def test_bad_run_input_names_the_argument() -> None:
    net = _net()
    net.set_inputs({"in": [1, 0]})
    with pytest.raises(fast.CompatArgumentError, match="set_inputs: layer 'in' has 3 units"):
        net.trial()
    net.set_inputs({"in": [1, 0, float("nan")]})
    with pytest.raises(fast.CompatArgumentError, match=r"set_inputs: values .* must be finite"):
        net.trial()
    net.set_inputs({"nope": [1, 0, 0]})
    with pytest.raises(ValueError, match="layer 'nope' not found"):
        net.trial()
    net.set_inputs({"in": [1, 0, 0]})
    net.set_outputs({"out": [1, "x"]})
    with pytest.raises(fast.CompatArgumentError, match="set_outputs"):
        net.trial()
    net.set_outputs({})
    net.layers[1].units[0].spec.tau_net = float("inf")
    with pytest.raises(fast.CompatArgumentError, match="tau_net must be finite"):
        net.trial()
    net.layers[1].units[0].spec.tau_net = 1.4
    net.spec.quarter_size = 0
    with pytest.raises(fast.CompatArgumentError, match="quarter_size must be a positive integer"):
        net.trial()
    net.spec.quarter_size = 5
    with pytest.raises(fast.CompatArgumentError, match="weights: expected shape"):
        net.connections[0].weights = np.zeros((2, 3))
    with pytest.raises(fast.CompatArgumentError, match="set_inputs: act_map must be a dict"):
        net.set_inputs([1, 0, 0])  # type: ignore[arg-type]
    assert net.trial() == 0.0  # the network still runs after the errors


def test_connection_to_a_layer_outside_the_network() -> None:
    a, b, c = fast.Layer(2, name="a"), fast.Layer(2, name="b"), fast.Layer(2, name="c")
    net = fast.Network(layers=[a, b], connections=[fast.Connection(a, c)])
    with pytest.raises(fast.CompatArgumentError, match=r"post layer 'c' .* not in the network"):
        net.cycle()


def test_unit_views_and_standalone_unit() -> None:
    net = _net()
    net.set_inputs({"in": [1.0, 0.0, 0.5]})
    net.trial()
    u = net.layers[0].units[2]
    assert u.act == 0.5 and u.act_ext == 0.5 and u.act_eq == 0.5
    assert u.v_m == 0.5 + 0.5 / 100  # act_thr + act / act_gain: the package's clamp
    assert len(u.logs["act"]) == 100 and u.logs["act"][-1] == 0.5
    assert net.layers[1].logs["gc_i"][-1] == net.layers[1].gc_i
    solo = fast.Unit()
    for _ in range(30):
        solo.add_excitatory(0.6)
        solo.calculate_net_in()
        solo.cycle("minus", g_i=0.0)
    assert solo.act > 0.5 and len(solo.logs["act"]) == 30
    try:
        import leabra as orig
    except ImportError:
        return
    if orig is fast:  # pragma: no cover
        return
    ref = orig.Unit()
    for _ in range(30):
        ref.add_excitatory(0.6)
        ref.calculate_net_in()
        ref.cycle("minus", g_i=0.0)
    for name in ("act", "v_m", "v_m_eq", "I_net", "g_e", "avg_s", "avg_m", "avg_s_eff"):
        assert getattr(solo, name) == pytest.approx(getattr(ref, name), rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(solo.logs["v_m"], ref.logs["v_m"], rtol=1e-12)


PNL_SCRIPT = textwrap.dedent("""
    import random
    import sys
    if sys.argv[1] == "lf":
        import leabra_fast.compat
        leabra_fast.compat.install()
    import numpy as np
    import psyneulink as pnl
    import leabra
    random.seed(3)
    m = pnl.LeabraMechanism(input_size=4, output_size=2, hidden_layers=1, hidden_sizes=[3],
                            training_flag=True, quarter_size=10)
    outs = [np.asarray(m.execute([[1, 0, 1, 0], [0, 1]])).ravel().tolist() for _ in range(3)]
    print(type(m.function.parameters.network.get()).__module__)
    print(*(repr(float(v)) for row in outs for v in row))
""")


def test_psyneulink_leabra_mechanism_on_compat() -> None:
    """PsyNeuLink's LeabraMechanism with ``import leabra`` resolved to the compat module gives
    the numbers it gives on leabra-psyneulink.  PsyNeuLink pulls torch, so it is looked for in
    the Python named by LEABRA_FAST_PSYNEULINK_PYTHON (else this one); skipped without it."""
    python = os.environ.get("LEABRA_FAST_PSYNEULINK_PYTHON", sys.executable)
    if subprocess.run([python, "-c", "import psyneulink"], capture_output=True,
                      timeout=300).returncode != 0:
        pytest.skip("PsyNeuLink is not importable (set LEABRA_FAST_PSYNEULINK_PYTHON to a "
                    "Python that has it; CI does not install it: it pulls torch)")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs = {}
    for which in ("lf", "orig"):
        out = subprocess.run([python, "-c", PNL_SCRIPT, which], capture_output=True, text=True,
                             env=env, check=True, timeout=600)
        runs[which] = out.stdout.splitlines()[-2:]
    assert runs["lf"][0] == "leabra_fast.compat.leabra._network"
    assert runs["orig"][0] == "leabra.network"
    np.testing.assert_allclose([float(x) for x in runs["lf"][1].split()],
                               [float(x) for x in runs["orig"][1].split()], rtol=1e-9, atol=1e-12)


def test_readme_compat_block_runs() -> None:
    """The README's compat example (a ```py block) runs and learns."""
    readme = Path(__file__).resolve().parent.parent / "README.md"
    if not readme.exists():
        pytest.skip("README.md not next to the tests")
    import re

    blocks = re.findall(r"```py\n(.*?)```", readme.read_text(), re.S)
    assert blocks
    before = sys.modules.get("leabra")
    ns: dict = {}
    try:
        exec(compile(blocks[0], str(readme), "exec"), ns)
    finally:
        import leabra_fast.compat as compat

        compat.uninstall()
    assert sys.modules.get("leabra") is before
    assert ns["sse"][-1] < ns["sse"][0]
    assert len(ns["acts"]) == 25


def _learns_brute_force(cc: int, qn: int, qs: int, n: int) -> bool:
    """The kernel's counters stepped cycle by cycle: learning before the last of n?"""
    for c in range(n):
        if cc == qs:
            qn, cc = (1 if qn + 1 == 5 else qn + 1), 0
        cc += 1
        if cc == qs and qn == 4 and c < n - 1:
            return True
    return False


def test_replay_fast_weight_skip_matches_the_counters() -> None:
    from leabra_fast.compat.leabra._network import _learns_before_last

    for qs in (1, 2, 5):
        for qn in range(1, 5):
            for cc in range(qs + 1):
                for n in range(1, 4 * qs + 3):
                    ct = np.array([cc, qn, 0, 0, 0], dtype=np.int64)
                    assert _learns_before_last(ct, qs, n) == _learns_brute_force(cc, qn, qs, n)
    # counters outside the usual ranges: always copy
    assert _learns_before_last(np.array([0, 7, 0, 0, 0]), 5, 1)
    assert _learns_before_last(np.array([9, 2, 0, 0, 0]), 5, 1)


@pytest.mark.parametrize("backend", ["cython", "python"])
def test_replayed_logs_same_bits_with_or_without_fast_weights(
        backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from leabra_fast.compat.leabra import _network as nw

    def logs() -> list[list[float]]:
        random.seed(3)  # the initial weights
        net = _net()
        for t in range(3):
            net.set_inputs({"in": [1, 0, t % 2]})
            net.set_outputs({"out": [t % 2, 1]})
            net.trial()
            net.cycle()
            net.quarter()
        return [u.logs[k] for ly in net.layers for u in ly.units
                for k in ("net", "act", "v_m", "I_net", "adapt")]

    prev = fast.set_backend(backend)
    try:
        skipped = logs()
        monkeypatch.setattr(nw, "_learns_before_last", lambda ct, qs, n: True)
        copied = logs()
    finally:
        fast.set_backend(prev)
    assert len(skipped[0]) == 100 + 2 * (25 + 75) + 25  # trial, cycle + quarter, ...
    assert skipped == copied


def test_compat_same_bits_at_every_simd_level() -> None:
    from leabra_fast.network import compiled

    def run() -> list[list[float]]:
        random.seed(5)
        a = fast.Layer(7, genre=fast.INPUT, name="in")
        h = fast.Layer(9, unit_spec=fast.UnitSpec(adapt_on=True), name="hid")
        o = fast.Layer(5, spec=fast.LayerSpec(g_i=1.4), genre=fast.OUTPUT, name="out")
        spec = fast.ConnectionSpec(proj="full", lrule="leabra", lrate=0.04)
        net = fast.Network(layers=[a, h, o], connections=[
            fast.Connection(a, h, spec), fast.Connection(h, o, spec),
            fast.Connection(o, h, fast.ConnectionSpec(lrule="leabra", wt_scale_rel=0.2))])
        sse = []
        for t in range(4):
            net.set_inputs({"in": [1, 0, t % 2, 0, 1, 0, (t + 1) % 2]})
            net.set_outputs({"out": [0, 1, t % 2, 0, 1]})
            sse.append(net.trial())
        return [sse] + [np.asarray(c.weights).ravel().tolist() for c in net.connections] + [
            u.logs[k] for ly in net.layers for u in ly.units for k in ("act", "v_m", "adapt")]

    before = compiled.current().__name__.rsplit("_", 1)[-1]
    try:
        got = {}
        for level in compiled.simd_levels():
            compiled.select_simd(level)
            got[level] = run()
    finally:
        compiled.select_simd(before)
    ref = got.pop("baseline")
    assert len(ref[0]) == 4 and ref[0][0] > 0.0
    for level, res in got.items():
        assert res == ref, level
