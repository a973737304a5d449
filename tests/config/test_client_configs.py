"""The rl_games YAMLs that real clients ship pass ``runner.py --check`` unchanged.

``tests/data/client_configs/`` holds every rl_games agent YAML of Isaac Lab 2.3.2 (plus four
``dev__`` ones from its development branch with other key sets: encoder networks, RNN concat,
a PBT block), every train YAML of IsaacGymEnvs (its Hydra interpolations resolved with
IsaacGymEnvs' defaults) and rl_games' own ``configs/mjlab``; each file's header says where it
came from. Unknown env names (``rlgpu``)
and user-registered algorithms / networks are warnings only; a key we own that nobody knows is
an error, which the last tests show still happens.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from conftest import DATA, run_cli

from rl_games.cli import main
from rl_games.config import ConfigError, load_yaml, parse_params

CLIENT_CONFIGS = DATA / "client_configs"
# Files per source: a lost or unread directory fails the count test instead of passing quietly.
EXPECTED_COUNTS = {"isaaclab": 41, "isaacgymenvs": 38, "mjlab": 4}
ISAACLAB_LSTM = CLIENT_CONFIGS / "isaaclab" / "direct__shadow_hand__rl_games_ppo_lstm_cfg.yaml"


def _client_files() -> list[Path]:
    return sorted(CLIENT_CONFIGS.rglob("*.yaml"))


def test_every_source_is_present() -> None:
    counts = {name: len(list((CLIENT_CONFIGS / name).glob("*.yaml"))) for name in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS


@pytest.mark.parametrize("path", _client_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_client_config_passes_check(
    path: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--check", "--file", str(path), "-q"])
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert "unknown key" not in out, out[-2000:]
    assert "error:" not in out


def test_isaaclab_lstm_config_from_a_subprocess() -> None:
    proc = run_cli("--check", "--file", str(ISAACLAB_LSTM), "-q", timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "unknown env name 'rlgpu'" in proc.stdout  # a warning, not an error
    resolved = yaml.safe_load(proc.stdout[proc.stdout.index("params:") :])
    rnn = resolved["params"]["config"]["central_value_config"]["network"]["rnn"]
    assert rnn == {**rnn, "name": "lstm", "units": 1024, "before_mlp": True, "layer_norm": True}


def _loaded(path: Path) -> tuple[dict, list[str]]:
    doc = load_yaml(path)
    return doc, parse_params(doc, str(path), num_agents=None).warnings


def test_rnn_zero_rnn_on_done_is_warned_with_where_it_belongs() -> None:
    _, warnings = _loaded(ISAACLAB_LSTM)
    [hint] = [w for w in warnings if w.startswith("params.config.central_value_config.network.rnn")]
    assert "zero_rnn_on_done" in hint and "params.config" in hint


@pytest.mark.parametrize(
    ("name", "key", "reason"),
    [
        ("AllegroHandLSTMPPO", "params.config.summaries_interval_sec_min", "IntervalSummaryWriter"),
        ("AllegroHandLSTM_BigPPO", "params.config.central_value_config.use_smooth_clamp", "hard"),
        ("AllegroHandDextremeADRPPO", "params.config.force_interval_writer", "read by no code"),
        ("AllegroHandDextremeADRPPO", "params.network.inputs", "obs_keys"),
        ("AllegroHandDextremeADRPPO", "params.config.bound_loss_type", "no bounds loss"),
        ("HumanoidSAC", "params.config.num_seed_steps", "num_warmup_steps"),
    ],
)
def test_ignored_keys_are_warned_with_their_reason(name: str, key: str, reason: str) -> None:
    _, warnings = _loaded(CLIENT_CONFIGS / "isaacgymenvs" / f"{name}.yaml")
    by_key = {w.split(":", 1)[0]: w for w in warnings}
    assert reason in by_key[key]


def test_num_actors_minus_one_is_left_to_the_launcher() -> None:
    doc, warnings = _loaded(ISAACLAB_LSTM)
    assert doc["params"]["config"]["num_actors"] == -1
    assert any(w.startswith("params.config.num_actors: -1") for w in warnings)
    doc["params"]["config"]["num_actors"] = -2
    with pytest.raises(ConfigError, match="num_actors must be > 0"):
        parse_params(doc, "config", num_agents=None)


@pytest.mark.parametrize(
    "block",
    [
        ("config", "central_value_config", "network", "rnn"),
        ("config", "central_value_config"),
        ("network", "mlp"),
        ("config",),
    ],
)
def test_a_misspelt_key_we_own_is_still_an_error(block: tuple[str, ...]) -> None:
    doc = copy.deepcopy(load_yaml(ISAACLAB_LSTM))
    node = doc["params"]
    for key in block:
        node = node[key]
    node["zero_rnn_on_dnoe"] = False
    with pytest.raises(ConfigError) as info:
        parse_params(doc, "config", num_agents=None)
    path = ".".join(("params", *block, "zero_rnn_on_dnoe"))
    assert [p.path for p in info.value.problems] == [path]
    assert "unknown key" in info.value.problems[0].message
