"""use_diagnostics, normalize_rms_advantage, epochs_between_resets, capability_manifest and
network aux losses, on real training runs read back from TensorBoard and checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import REPO
from torch import nn

import rl_games.builders
from rl_games.algos.ppo.agent import PPOAgent
from rl_games.algos.ppo.diagnostics import clip_fraction, explained_variance
from rl_games.algos_torch import model_builder, network_builder
from rl_games.config import apply_overrides, parse_params
from rl_games.training.checkpoint import load_checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")


def _agent(tmp_path: Path, *sets: str) -> PPOAgent:
    doc = yaml.safe_load((REPO / "configs" / "ppo_cartpole_torch.yaml").read_text())
    base = [
        f"config.train_dir={tmp_path}",
        "config.full_experiment_name=run",
        "config.num_actors=16",
        "config.horizon_length=16",
        "config.minibatch_size=64",
    ]
    return PPOAgent("run", parse_params(apply_overrides(doc, [*base, *sets])).params)


def _last_checkpoint(run: Path) -> Path:
    (path,) = (run / "nn").glob("last_*.pth")  # written when max_epochs stops the run
    return path


def _scalars(run: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "summaries"))
    acc.Reload()
    return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}


def test_explained_variance_and_clip_fraction_hand_numbers() -> None:
    returns = torch.tensor([1.0, 2.0, 3.0, 4.0])  # population var 1.25
    values = torch.tensor([1.0, 2.0, 3.0, 3.0])  # errors 0,0,0,1: var 0.1875
    assert float(explained_variance(values, returns)) == pytest.approx(1 - 0.1875 / 1.25)
    assert float(explained_variance(returns, returns)) == 1.0
    mask = torch.tensor([1.0, 1.0, 1.0, 0.0])  # the bad row masked out: perfect
    assert float(explained_variance(values, returns, mask)) == 1.0
    assert float(explained_variance(values, torch.ones(4))) == 0.0  # constant returns
    old = torch.zeros(4)
    new = -torch.log(torch.tensor([1.0, 1.1, 1.3, 0.7]))  # ratios 1, 1.1, 1.3, 0.7
    assert clip_fraction(old, new, 0.2).tolist() == [0.0, 0.0, 1.0, 1.0]


def test_diagnostics_rms_advantage_and_manifest(tmp_path: Path) -> None:
    agent = _agent(
        tmp_path,
        "config.use_diagnostics=True",
        "config.normalize_value=True",
        "config.normalize_rms_advantage=True",
        "config.adv_rms_momentum=0.9",
        "config.max_epochs=3",
        'config.capability_manifest={"robot": "cartpole", "version": 2}',
    )
    agent.train()
    tags = _scalars(tmp_path / "run")
    assert [s for s, _ in tags["diagnostics/exp_var"]] == [1, 2, 3]  # x = epoch
    assert all(v <= 1.0 for _, v in tags["diagnostics/exp_var"])
    for i in range(4):  # mini_epochs: 4
        assert len(tags[f"diagnostics/clip_frac/{i}"]) == 3
        assert all(0.0 <= v <= 1.0 for _, v in tags[f"diagnostics/clip_frac/{i}"])
    assert tags["diagnostics/clip_frac/0"][0][1] == 0.0  # first pass: policy == rollout policy
    assert tags["diagnostics/rms_value/var"][-1][1] != 1.0  # the value normalizer moved
    adv = agent.advantage_mean_std
    assert int(adv.updates) == 3
    assert tags["diagnostics/rms_advantage/mean"][-1][1] == pytest.approx(float(adv.mean))

    ckpt = _last_checkpoint(tmp_path / "run")
    state = load_checkpoint(ckpt)
    assert state["capability_manifest"] == {"robot": "cartpole", "version": 2}
    assert int(state["advantage_mean_std"]["updates"]) == 3
    fresh = _agent(
        tmp_path / "b", "config.normalize_rms_advantage=True", "config.normalize_value=True"
    )
    fresh.restore(ckpt)
    assert float(fresh.advantage_mean_std.var) == pytest.approx(float(adv.var))


def test_no_diagnostics_or_manifest_by_default(tmp_path: Path) -> None:
    agent = _agent(tmp_path, "config.max_epochs=1")
    agent.train()
    assert not any(t.startswith("diagnostics/") for t in _scalars(tmp_path / "run"))
    state = load_checkpoint(_last_checkpoint(tmp_path / "run"))
    assert "capability_manifest" not in state and "advantage_mean_std" not in state


def test_epochs_between_resets_cuts_every_episode_at_the_reset(tmp_path: Path) -> None:
    """Resetting all envs every epoch (16 steps): no finished game is longer than 16 steps."""
    agent = _agent(tmp_path, "config.epochs_between_resets=1", "config.max_epochs=12")
    agent.train()
    lengths = list(agent.episodes.lengths)
    assert lengths and max(lengths) <= 16, lengths
    baseline = _agent(tmp_path / "b", "config.max_epochs=12")  # without: longer games finish
    baseline.train()
    assert max(baseline.episodes.lengths) > 16


class AuxLossBuilder(network_builder.NetworkBuilder):
    """A user network whose get_aux_loss() is an L2 penalty on its logits."""

    class Network(network_builder.NetworkBuilder.BaseNetwork):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__()
            n = kwargs["input_shape"][0]
            self.body = nn.Sequential(nn.Linear(n, 32), nn.Tanh())
            self.logits = nn.Linear(32, kwargs["actions_num"])
            self.value = nn.Linear(32, 1)
            self.aux: dict[str, torch.Tensor] = {}

        def forward(self, obs_dict: dict[str, Any]) -> tuple:
            h = self.body(obs_dict["obs"])
            logits = self.logits(h)
            self.aux = {"logits_l2": 5.0 * logits.square().mean()}
            return logits, self.value(h), None

        def get_aux_loss(self) -> dict[str, torch.Tensor]:
            return self.aux

    def build(self, name: str, **kwargs: Any) -> nn.Module:
        with torch.no_grad():
            net = self.Network(**kwargs)
            net.logits.bias.copy_(torch.tensor([3.0, -3.0]))  # start far from the penalty's 0
        return net


@pytest.fixture
def aux_network() -> Iterator[str]:
    model_builder.register_network("test_aux_l2", AuxLossBuilder)
    yield "test_aux_l2"
    rl_games.builders.NETWORKS.unregister("test_aux_l2")


def test_network_aux_loss_is_trained_and_logged(tmp_path: Path, aux_network: str) -> None:
    agent = _agent(tmp_path, f"network.name={aux_network}", "config.max_epochs=8")
    agent.train()
    curve = [v for _, v in _scalars(tmp_path / "run")["losses/logits_l2"]]
    assert len(curve) == 8
    assert curve[0] > 10.0 and curve[-1] < 0.2 * curve[0], curve  # the penalty was optimized
