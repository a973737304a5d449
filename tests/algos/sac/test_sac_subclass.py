"""Research code subclasses rl_games' SAC agent (``rl_games.algos_torch.sac_agent.SACAgent``),
overrides its hooks and registers the subclass with ``runner.algo_factory.register_builder``:
our agent runs those overrides inside its training loop. Also: rl_games' construction from the
raw params dict and rl_games' attribute names as views of the agent's state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from conftest import REPO

from rl_games.algos_torch.sac_agent import SACAgent
from rl_games.builders import ALGORITHMS
from rl_games.runner import Runner

CONFIG = REPO / "configs" / "sac_pendulum.yaml"
SMALL = [
    "torch_threads=1",
    "config.env_name=TorchPendulum-v1",
    "config.env_config={}",
    "config.num_actors=4",
    "config.num_warmup_frames=32",  # 8 warm-up epochs
    "config.batch_size=16",
    "config.replay_buffer_size=500",
    "config.max_epochs=30",
    "config.max_frames=0",
    "config.save_best_after=100000",
    "network.mlp.units=[16,16]",
]
EPOCHS, WARMUP = 30, 8
BONUS = 10.0


class BonusSAC(SACAgent):
    """Adds a constant bonus to the critic's rewards, and records the temperature and the
    replay size after each epoch's steps (what research subclasses do)."""

    def __init__(self, base_name: str, params: Any, **kwargs: Any) -> None:
        super().__init__(base_name, params, **kwargs)
        self.critic_calls = 0
        self.reward_shift: list[float] = []
        self.env_steps = 0
        self.epoch_log: list[tuple[int, float, int]] = []

    def env_step(self, actions: torch.Tensor) -> tuple[Any, Any, Any, Any]:
        obs, rewards, dones, infos = super().env_step(actions)
        assert rewards.shape == dones.shape == (self.num_actors,)
        self.env_steps += 1
        return obs, rewards, dones, infos

    def update_critic(
        self,
        obs: torch.Tensor,
        action: torch.Tensor,
        reward: torch.Tensor,
        next_obs: torch.Tensor,
        not_done: torch.Tensor,
        step: int,
    ) -> Any:
        self.critic_calls += 1
        bonus = reward + BONUS
        self.reward_shift.append(float((bonus - reward).mean()))
        return super().update_critic(obs, action, bonus, next_obs, not_done, step)

    def play_steps(self, random_exploration: bool = False) -> dict[str, float]:
        times = super().play_steps(random_exploration)
        alpha = float(self.alpha.detach())
        self.epoch_log.append((self.epoch_num, alpha, len(self.replay_buffer)))
        return times


@pytest.fixture
def restore_algorithms() -> Iterator[None]:
    saved = {name: ALGORITHMS.get(name) for name in ALGORITHMS.names()}
    yield
    for name, entry in saved.items():
        ALGORITHMS.register(name, entry)


def _doc() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text())


def _train(tmp_path: Path, name: str, factory: Any = None, *sets: str) -> Runner:
    runner = Runner()
    names = [f"config.train_dir={tmp_path}", f"config.full_experiment_name={name}"]
    runner.load(_doc(), [*SMALL, *names, *sets])
    if factory is not None:
        runner.algo_factory.register_builder("sac", factory)
    runner.run({"train": True})
    return runner


def test_registered_subclass_overrides_run_in_training(
    tmp_path: Path, restore_algorithms: None
) -> None:
    runner = _train(tmp_path, "bonus", lambda **kwargs: BonusSAC(**kwargs))
    agent = runner.agent
    assert type(agent) is BonusSAC
    assert agent.epoch_num == EPOCHS and agent.env_steps == EPOCHS
    # every gradient update went through the overriding update_critic, with the bonus added
    assert agent.num_updates == agent.critic_calls > 0
    assert agent.critic_calls == (EPOCHS - WARMUP) * agent.num_updates_per_step
    assert agent.reward_shift == pytest.approx([BONUS] * agent.critic_calls)
    # the play_steps override saw every epoch
    assert [e for e, _, _ in agent.epoch_log] == list(range(1, EPOCHS + 1))
    assert [n for _, _, n in agent.epoch_log] == [4 * e for e in range(1, EPOCHS + 1)]
    alphas = [a for _, a, _ in agent.epoch_log]
    assert alphas[:WARMUP] == [1.0] * WARMUP and alphas[-1] != 1.0  # temperature learns


def test_bonus_changes_the_critic(tmp_path: Path, restore_algorithms: None) -> None:
    """The override's term reaches the learned critic: same seed, different Q values."""
    fast = "config.critic_lr=1e-2"
    plain = _train(tmp_path, "plain", None, fast).agent
    bonus = _train(tmp_path, "bonus", lambda **kwargs: BonusSAC(**kwargs), fast).agent
    assert type(plain) is not BonusSAC
    torch.testing.assert_close(
        plain.replay_buffer.data[:32], bonus.replay_buffer.data[:32]
    )  # the warm-up data is the same
    batch = bonus.replay_buffer.sample(64)
    with torch.no_grad():
        q_plain = torch.min(*plain.critic(plain.model.norm_obs(batch.obs), batch.actions))
        q_bonus = torch.min(*bonus.critic(bonus.model.norm_obs(batch.obs), batch.actions))
    shift = float((q_bonus - q_plain).mean())
    assert shift > BONUS / 2, shift  # the plain run's critic is nowhere near it


def test_raw_params_dict_and_rl_games_attribute_names(tmp_path: Path) -> None:
    raw = yaml.safe_load(CONFIG.read_text())["params"]
    raw["config"].update(env_name="TorchPendulum-v1", env_config={}, num_actors=4)
    raw["config"].update(num_warmup_frames=32, batch_size=16, replay_buffer_size=500)
    agent = SACAgent("run", raw)  # rl_games: SACAgent(base_name, params)
    assert agent.cfg.num_actors == 4 and agent.num_actors == 4
    assert agent.num_warmup_steps == 8 and agent.batch_size == 16
    assert agent.actor is agent.model.sac_network.actor
    assert agent.critic is agent.model.sac_network.critic
    assert agent.critic_target is agent.model.sac_network.critic_target
    assert agent.vec_env is agent.env and agent.device == torch.device("cpu")
    assert agent.critic_tau == pytest.approx(0.01) and agent.target_entropy == -1.0
    assert torch.equal(agent.alpha.detach(), agent.log_alpha.detach().exp())
    agent.obs = agent.env_reset()
    for epoch in range(1, 12):
        agent.epoch_num = epoch
        agent.train_epoch()
    assert len(agent.replay_buffer) == 44 and agent.num_updates > 0
    with pytest.raises(TypeError, match="Params or a params dict"):
        SACAgent("run", ["not", "params"])


def test_weights_round_trip_and_clear_stats(tmp_path: Path) -> None:
    a = _train(tmp_path, "a", None, "config.max_epochs=205").agent  # games last 200 steps
    fresh = SACAgent("run", a.params)
    fresh.set_weights(a.get_weights())
    for key, tensor in a.get_weights()["actor"].items():
        assert torch.equal(fresh.get_weights()["actor"][key], tensor)
    fresh.set_full_state_weights(a.get_full_state_weights(), set_epoch=False)
    assert fresh.epoch_num == 0 and torch.equal(fresh.log_alpha, a.log_alpha)
    assert a.game_rewards.current_size > 0
    a.clear_stats()
    assert a.game_rewards.current_size == 0
