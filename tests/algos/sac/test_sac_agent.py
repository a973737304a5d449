"""SACAgent on a scripted env: final-observation handling, terminations vs time-outs, the
normalizer's frame counting, warmup and the update loop."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from gymnasium import spaces

from rl_games.algos.sac.agent import SACAgent
from rl_games.envs import IVecEnv, TorchVecEnv, make_env_info
from rl_games.runner import Runner

LENGTH = 3  # episode length of the scripted env


class CounterEnv(IVecEnv):
    """obs = [t, env_id]; reward = t after the step; episodes last LENGTH steps.

    Env 0 terminates, the others are cut by a time limit. ``mode`` picks the autoreset flavour;
    ``give_final`` whether same_step infos carry ``final_observation``.
    """

    def __init__(self, n: int = 2, mode: str = "next_step", give_final: bool = True) -> None:
        self.n, self.mode, self.give_final = n, mode, give_final
        self.t = np.zeros(n, dtype=np.int64)
        self.pending_reset = np.zeros(n, dtype=bool)

    def _obs(self) -> np.ndarray:
        return np.stack([self.t, np.arange(self.n)], axis=1).astype(np.float32)

    def reset(self) -> np.ndarray:
        self.t[:] = 0
        self.pending_reset[:] = False
        return self._obs()

    def step(self, actions: Any) -> tuple:
        assert np.all(np.abs(actions) <= 2.0)
        rewards = np.zeros(self.n, dtype=np.float32)
        if self.mode == "next_step":
            reset_rows = self.pending_reset.copy()
            self.t = np.where(reset_rows, 0, self.t + 1)
            rewards = np.where(reset_rows, 0.0, self.t).astype(np.float32)
            dones = ~reset_rows & (self.t == LENGTH)
            self.pending_reset = dones.copy()
            obs, infos = self._obs(), {}
        else:
            self.t = self.t + 1
            rewards = self.t.astype(np.float32)
            dones = self.t == LENGTH
            final = self._obs()
            self.t = np.where(dones, 0, self.t)
            obs = self._obs()
            infos = {"final_observation": final} if self.give_final else {}
        infos["time_outs"] = dones & (np.arange(self.n) != 0)
        return obs, rewards, dones, infos

    def get_env_info(self) -> dict[str, Any]:
        obs_space = spaces.Box(-np.inf, np.inf, (2,), np.float32)
        act_space = spaces.Box(-2.0, 2.0, (1,), np.float32)
        return make_env_info(obs_space, act_space, autoreset_mode=self.mode)


def make_params(**config: Any) -> Any:
    config.setdefault("device", "cpu")
    cfg = {
        "name": "t",
        "env_name": "envpool",
        "env_config": {"env_name": "Pendulum-v1"},
        "num_actors": 2,
        "batch_size": 8,
        "replay_buffer_size": 64,
        "num_warmup_steps": 0,
        "reward_shaper": {"scale_value": 1.0},
        **config,
    }
    doc = {
        "params": {
            "seed": 0,
            "algo": {"name": "sac"},
            "model": {"name": "soft_actor_critic"},
            "network": {
                "name": "soft_actor_critic",
                "separate": True,
                "mlp": {"units": [8], "activation": "relu", "initializer": {"name": "default"}},
                "log_std_bounds": [-5, 2],
            },
            "config": cfg,
        }
    }
    return Runner().load(doc)


def make_agent(env: IVecEnv, device: str = "cpu", **config: Any) -> SACAgent:
    params = make_params(device=device, **config)
    agent = SACAgent("run", params, env=TorchVecEnv(env, device, num_envs=2))
    agent.obs = agent.env.reset()
    agent.model.update_obs_stats(agent.obs)
    return agent


def stored(agent: SACAgent) -> np.ndarray:
    return agent.replay_buffer.data[: len(agent.replay_buffer)].numpy()


@pytest.mark.parametrize(("mode", "give_final"), [("next_step", True), ("same_step", True)])
def test_no_cross_episode_rows_and_true_final_obs(mode: str, give_final: bool) -> None:
    agent = make_agent(CounterEnv(mode=mode, give_final=give_final))
    steps = 10
    for _ in range(steps):
        agent.play_step(random_exploration=True)
    rows = stored(agent)
    obs, act, rew, nxt = rows[:, 0:2], rows[:, 2], rows[:, 3], rows[:, 4:6]
    term, trunc = rows[:, 6], rows[:, 7]
    # next_step: 10 steps x 2 envs minus the reset rows (steps 4 and 8)
    assert len(rows) == (steps * 2 - 4 if mode == "next_step" else steps * 2)
    np.testing.assert_array_equal(nxt[:, 0], obs[:, 0] + 1)  # every row is a real transition
    np.testing.assert_array_equal(nxt[:, 1], obs[:, 1])
    np.testing.assert_array_equal(rew, nxt[:, 0])
    ends = nxt[:, 0] == LENGTH
    np.testing.assert_array_equal(term, ends & (obs[:, 1] == 0))  # env 0 terminates
    np.testing.assert_array_equal(trunc, ends & (obs[:, 1] == 1))  # env 1 times out
    assert np.all(np.abs(act) <= 2.0)


def test_same_step_without_final_observation_uses_current_obs() -> None:
    agent = make_agent(CounterEnv(mode="same_step", give_final=False))
    for _ in range(LENGTH):
        agent.play_step(random_exploration=True)
    rows = stored(agent)
    last = rows[-2:]  # the done step of both envs: s_t stands in for the missing final obs
    np.testing.assert_array_equal(last[:, 4], last[:, 0])


def test_value_bootstrap_off_terminates_time_outs() -> None:
    agent = make_agent(CounterEnv(), value_bootstrap=False)
    for _ in range(LENGTH):
        agent.play_step(random_exploration=True)
    rows = stored(agent)
    np.testing.assert_array_equal(rows[-2:, 6], [1.0, 1.0])


def test_normalizer_counts_each_frame_once_and_is_frozen_in_updates() -> None:
    agent = make_agent(CounterEnv(), normalize_input=True)
    frames = [agent.obs.clone()]
    for _ in range(6):
        agent.play_step(random_exploration=False)
        frames.append(agent.obs.clone())
    rms = agent.model.running_mean_std
    all_frames = torch.cat(frames).double()
    assert int(rms.count) == 1 + all_frames.shape[0]  # prior pseudo-count + each frame once
    # with the prior (mean 0, var 1, count 1): mean = sum / (n + 1)
    torch.testing.assert_close(rms.running_mean, all_frames.sum(0) / (all_frames.shape[0] + 1))
    before = {k: v.clone() for k, v in rms.state_dict().items()}
    agent.epoch_num = 1
    agent.train_epoch()
    assert agent.num_updates > 0
    after_play = int(rms.count)
    assert after_play == int(before["count"]) + 2  # the epoch's one env step, not the updates


def test_warmup_then_updates_per_step() -> None:
    agent = make_agent(CounterEnv(), num_warmup_frames=6, utd_ratio=1.5, batch_size=4)
    assert agent.warmup_epochs == 3 and agent.updates_per_step == 3
    for _ in range(3):
        agent.epoch_num += 1
        agent.train_epoch()
    assert agent.num_updates == 0
    agent.epoch_num += 1
    agent.train_epoch()
    assert agent.num_updates == 3
    assert agent.stats.n_critic == 3 and agent.stats.n_actor == 1  # policy_frequency 2


def test_actor_step_leaves_critic_alone() -> None:
    agent = make_agent(CounterEnv())
    for _ in range(4):
        agent.play_step(random_exploration=True)
    critic = [p.detach().clone() for p in agent.model.critic.parameters()]
    actor = [p.detach().clone() for p in agent.model.actor.parameters()]
    log_alpha = agent.log_alpha.detach().clone()
    obs = agent.model.norm_obs(agent.replay_buffer.sample(8).obs)
    a_loss, entropy, alpha, alpha_loss = agent.update_actor_and_alpha(obs, step=1)
    assert a_loss.shape == entropy.shape == alpha.shape == alpha_loss.shape == ()
    assert not (a_loss.requires_grad or alpha.requires_grad or alpha_loss.requires_grad)
    for p, q in zip(agent.model.critic.parameters(), critic, strict=True):
        assert p.grad is None and torch.equal(p, q)
        assert p.requires_grad
    assert any(
        not torch.equal(p, q) for p, q in zip(agent.model.actor.parameters(), actor, strict=True)
    )
    assert not torch.equal(agent.log_alpha, log_alpha)


def test_fixed_temperature() -> None:
    agent = make_agent(CounterEnv(), learnable_temperature=False, init_alpha=0.2)
    for _ in range(4):
        agent.epoch_num += 1
        agent.train_epoch()
    assert agent.log_alpha.item() == pytest.approx(np.log(0.2))
    assert agent.target_entropy == -1.0


def test_train_loop_writes_checkpoints(tmp_path: Any) -> None:
    agent = make_agent(
        CounterEnv(),
        max_epochs=30,
        train_dir=str(tmp_path),
        full_experiment_name="run",
        save_best_after=5,
        save_frequency=10,
        print_stats=False,
    )
    agent.train()
    names = sorted(p.name for p in (tmp_path / "run" / "nn").iterdir())
    assert "t.pth" in names
    assert any(n.startswith("last_t_ep_30_rew__") for n in names)
    assert any(n.startswith("last_t_ep_10_rew_") for n in names)
    # updates start once batch_size (8) rows were offered: after the 4th of 30 steps
    assert agent.frame == 60 and agent.num_updates == 30 - 3
    assert (tmp_path / "run" / "summaries").is_dir()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_bf16_updates_stay_finite() -> None:
    agent = make_agent(CounterEnv(), device="cuda", mixed_precision=True, normalize_input=True)
    assert agent.use_bf16 and agent.replay_buffer.data.is_cuda
    for epoch in range(1, 30):
        agent.epoch_num = epoch
        agent.train_epoch()
    means = agent.stats.means()
    assert agent.num_updates > 0 and all(np.isfinite(v) for v in means.values())
    assert agent.replay_buffer.data.dtype == torch.float32 and torch.isfinite(agent.log_alpha)


def test_reward_meter_uses_shaped_rewards() -> None:
    """rl_games' SAC meters shaped rewards: the mean behind rewards/*, best and score_to_win."""
    agent = make_agent(CounterEnv(mode="same_step"), reward_shaper={"scale_value": 0.1})
    for _ in range(LENGTH):
        agent.play_step(random_exploration=True)
    agent._flush_episodes()
    # one episode per env: rewards 1 + 2 + 3 = 6, shaped by 0.1
    assert agent.final_mean_reward == pytest.approx(0.6)


def test_sac_network_separate_defaults_to_true() -> None:
    from rl_games.config import parse_params

    raw = {
        "params": {
            "algo": {"name": "sac"},
            "model": {"name": "soft_actor_critic"},
            "network": {"name": "soft_actor_critic", "mlp": {"units": [8]}},
            "config": {"name": "t", "env_name": "envpool", "reward_shaper": {}},
        }
    }
    assert parse_params(raw).params.network.separate is True
    raw["params"]["network"]["separate"] = False
    assert parse_params(raw).params.network.separate is False
