"""An Isaac Lab client, played by us: a DirectRLEnv-like torch env, a wrapper that behaves like
``isaaclab_rl.rl_games.RlGamesVecEnvWrapper`` (legacy ``gym.spaces``, observation groups, clipping,
``time_outs`` and ``episode`` extras) and the train / play sequences of Isaac Lab's
``scripts/reinforcement_learning/rl_games/{train,play}.py``, calling our package exactly where
those scripts call rl_games. Only the simulator is replaced (Isaac Sim cannot run here).
"""

from __future__ import annotations

import math
import os
from types import SimpleNamespace
from typing import Any

import gym  # legacy gym 0.26, as Isaac Lab installs it; its spaces are not gymnasium's
import gymnasium
import torch

from rl_games.common import env_configurations, vecenv
from rl_games.common.player import BasePlayer
from rl_games.common.vecenv import IVecEnv
from rl_games.torch_runner import Runner
from rl_games.training.observers import IsaacAlgoObserver


class CartpoleDirectEnv:
    """Batched cart-pole in torch with observation groups ``policy`` (4) and ``critic`` (7).

    Isaac Lab's env contract: ``reset() -> (obs_groups, extras)``, ``step(a) -> (obs_groups,
    reward, terminated, truncated, extras)``, automatic reset of finished envs, ``extras['log']``
    with episode sums on steps where envs reset, gymnasium single spaces, ``cfg.is_finite_horizon``.
    """

    def __init__(self, num_envs: int, device: str = "cpu", seed: int = 0, max_steps: int = 200):
        self.num_envs, self.device, self.max_steps = num_envs, torch.device(device), max_steps
        inf = math.inf
        self.single_observation_space = gymnasium.spaces.Dict(
            {
                "policy": gymnasium.spaces.Box(-inf, inf, (4,)),
                "critic": gymnasium.spaces.Box(-inf, inf, (7,)),
            }
        )
        self.single_action_space = gymnasium.spaces.Box(-inf, inf, (1,))
        self.cfg = SimpleNamespace(is_finite_horizon=False, seed=seed)
        self.step_dt, self.render_mode, self.unwrapped = 0.02, None, self
        self.gen = torch.Generator(device=self.device).manual_seed(seed)
        self.state = torch.zeros(num_envs, 4, device=self.device)
        self.steps = torch.zeros(num_envs, dtype=torch.long, device=self.device)
        self.episode_reward = torch.zeros(num_envs, device=self.device)

    def seed(self, seed: int = -1) -> int:
        self.gen.manual_seed(seed)
        return seed

    def _reset_envs(self, ids: torch.Tensor) -> None:
        noise = torch.rand(len(ids), 4, generator=self.gen, device=self.device)
        self.state[ids] = (noise - 0.5) * 0.1
        self.steps[ids] = 0
        self.episode_reward[ids] = 0.0

    def _obs(self) -> dict[str, torch.Tensor]:
        theta = self.state[:, 2:3]
        frac = (self.steps.float() / self.max_steps).unsqueeze(1)
        critic = torch.cat([self.state, torch.cos(theta), torch.sin(theta), frac], dim=1)
        return {"policy": self.state.clone(), "critic": critic}

    def reset(self) -> tuple[dict[str, torch.Tensor], dict]:
        self._reset_envs(torch.arange(self.num_envs, device=self.device))
        return self._obs(), {}

    def step(self, actions: torch.Tensor) -> tuple:
        force = actions[:, 0].clamp(-1.0, 1.0) * 10.0
        x, x_dot, th, th_dot = self.state.unbind(1)
        cos, sin = torch.cos(th), torch.sin(th)
        temp = (force + 0.05 * th_dot**2 * sin) / 1.1
        th_acc = (9.8 * sin - cos * temp) / (0.5 * (4.0 / 3.0 - 0.1 * cos**2 / 1.1))
        x_acc = temp - 0.05 * th_acc * cos / 1.1
        dt = self.step_dt
        self.state = torch.stack(
            [x + dt * x_dot, x_dot + dt * x_acc, th + dt * th_dot, th_dot + dt * th_acc], dim=1
        )
        self.steps += 1
        terminated = (self.state[:, 0].abs() > 2.4) | (self.state[:, 2].abs() > 0.4)
        truncated = (self.steps >= self.max_steps) & ~terminated
        reward = torch.ones(self.num_envs, device=self.device)
        self.episode_reward += reward
        done = terminated | truncated
        extras: dict[str, Any] = {}
        ids = done.nonzero().squeeze(-1)
        if len(ids):
            extras["log"] = {
                "Episode_Reward/alive": self.episode_reward[ids].mean() / self.max_steps
            }
            self._reset_envs(ids)
        return self._obs(), reward, terminated, truncated, extras

    def close(self) -> None:
        pass


class RlGamesStyleWrapper(IVecEnv):
    """What ``RlGamesVecEnvWrapper`` does, written for this test: legacy gym spaces, clipping,
    observation groups (``obs`` <- policy, ``states`` <- critic) concatenated or as dicts."""

    def __init__(
        self,
        env: CartpoleDirectEnv,
        rl_device: str,
        clip_obs: float,
        clip_actions: float,
        obs_groups: dict[str, list[str]] | None = None,
        concate_obs_group: bool = True,
    ) -> None:
        self.env, self._rl_device = env, rl_device
        self._clip_obs, self._clip_actions = clip_obs, clip_actions
        self._concat = concate_obs_group
        if obs_groups is None:
            obs_groups = {"obs": ["policy"], "states": []}
            if "critic" in env.single_observation_space.spaces:
                obs_groups["states"] = ["critic"]
        self._groups = obs_groups

    @property
    def unwrapped(self) -> CartpoleDirectEnv:
        return self.env.unwrapped

    @property
    def num_envs(self) -> int:
        return self.unwrapped.num_envs

    def _space(self, role: str) -> gym.spaces.Space:
        clip, spaces = self._clip_obs, self.unwrapped.single_observation_space
        shapes = {g: spaces[g].shape for g in self._groups[role]}
        if not self._concat:
            return gym.spaces.Dict({g: gym.spaces.Box(-clip, clip, s) for g, s in shapes.items()})
        return gym.spaces.Box(-clip, clip, (sum(s[0] for s in shapes.values()),))

    @property
    def observation_space(self) -> gym.spaces.Space:
        return self._space("obs")

    @property
    def state_space(self) -> gym.spaces.Space:
        return self._space("states")

    @property
    def action_space(self) -> gym.spaces.Box:
        shape = self.unwrapped.single_action_space.shape
        return gym.spaces.Box(-self._clip_actions, self._clip_actions, shape)

    def get_number_of_agents(self) -> int:
        return 1

    def get_env_info(self) -> dict:
        return {
            "observation_space": self.observation_space,
            "action_space": self.action_space,
            "state_space": self.state_space,
        }

    def seed(self, seed: int = -1) -> int:
        return self.unwrapped.seed(seed)

    def _process(self, groups: dict[str, torch.Tensor]) -> dict[str, Any]:
        groups = {
            k: v.to(self._rl_device).clamp(-self._clip_obs, self._clip_obs)
            for k, v in groups.items()
        }
        out: dict[str, Any] = {}
        for role, names in self._groups.items():
            if not names:
                continue
            parts = {g: groups[g] for g in names}
            out[role] = torch.cat(list(parts.values()), dim=1) if self._concat else parts
        return out

    def reset(self) -> dict[str, Any]:
        obs, _ = self.env.reset()
        return self._process(obs)

    def step(self, actions: torch.Tensor) -> tuple:
        actions = actions.detach().clone().clamp(-self._clip_actions, self._clip_actions)
        obs, rew, terminated, truncated, extras = self.env.step(actions)
        if not self.unwrapped.cfg.is_finite_horizon:
            extras["time_outs"] = truncated.to(self._rl_device)
        if "log" in extras:
            extras["episode"] = extras.pop("log")
        return self._process(obs), rew.to(self._rl_device), (terminated | truncated), extras

    def close(self) -> None:
        self.env.close()


class RlGamesGpuEnvLike(IVecEnv):
    """``RlGamesGpuEnv``: builds the env through the registered ``env_creator``."""

    def __init__(self, config_name: str, num_actors: int, **kwargs: Any) -> None:
        self.env = env_configurations.configurations[config_name]["env_creator"](**kwargs)

    def step(self, action: torch.Tensor) -> tuple:
        return self.env.step(action)

    def reset(self) -> dict:
        return self.env.reset()

    def get_number_of_agents(self) -> int:
        return self.env.get_number_of_agents()

    def get_env_info(self) -> dict:
        return self.env.get_env_info()


def register(env: RlGamesStyleWrapper) -> None:
    """The two registration calls of Isaac Lab's train.py / play.py."""
    vecenv.register(
        "IsaacRlgWrapper",
        lambda config_name, num_actors, **kwargs: RlGamesGpuEnvLike(
            config_name, num_actors, **kwargs
        ),
    )
    env_configurations.register(
        "rlgpu", {"vecenv_type": "IsaacRlgWrapper", "env_creator": lambda **kwargs: env}
    )


def make_env(agent_cfg: dict, num_envs: int, **wrapper_kw: Any) -> RlGamesStyleWrapper:
    rl_device = agent_cfg["params"]["config"]["device"]
    clip_obs = agent_cfg["params"]["env"].get("clip_observations", math.inf)
    clip_actions = agent_cfg["params"]["env"].get("clip_actions", math.inf)
    sim = CartpoleDirectEnv(num_envs, seed=agent_cfg["params"]["seed"])
    return RlGamesStyleWrapper(sim, rl_device, clip_obs, clip_actions, **wrapper_kw)


def train(
    agent_cfg: dict, log_root: str, num_envs: int, checkpoint: str | None = None, **wrapper_kw: Any
) -> str:
    """train.py: returns the run directory."""
    agent_cfg["params"]["config"]["train_dir"] = log_root
    log_dir = agent_cfg["params"]["config"].get("full_experiment_name") or "run"
    agent_cfg["params"]["config"]["full_experiment_name"] = log_dir
    if checkpoint is not None:
        agent_cfg["params"]["load_checkpoint"] = True
        agent_cfg["params"]["load_path"] = checkpoint
    env = make_env(agent_cfg, num_envs, **wrapper_kw)
    register(env)
    agent_cfg["params"]["config"]["num_actors"] = env.unwrapped.num_envs
    runner = Runner(IsaacAlgoObserver())
    runner.load(agent_cfg)
    runner.reset()
    args: dict[str, Any] = {"train": True, "play": False, "sigma": None}
    if checkpoint is not None:
        args["checkpoint"] = checkpoint
    runner.run(args)
    env.close()
    return os.path.join(log_root, log_dir)


def play(agent_cfg: dict, resume_path: str, num_envs: int, steps: int, **wrapper_kw: Any) -> dict:
    """play.py's loop for ``steps`` steps; returns finished-episode lengths and the player."""
    env = make_env(agent_cfg, num_envs, **wrapper_kw)
    register(env)
    agent_cfg["params"]["load_checkpoint"] = True
    agent_cfg["params"]["load_path"] = resume_path
    agent_cfg["params"]["config"]["num_actors"] = env.unwrapped.num_envs
    runner = Runner()
    runner.load(agent_cfg)
    agent: BasePlayer = runner.create_player()
    agent.restore(resume_path)
    agent.reset()
    obs = env.reset()
    if isinstance(obs, dict):
        obs = obs["obs"]
    _ = agent.get_batch_size(obs, 1)
    if agent.is_rnn:
        agent.init_rnn()
    lengths: list[int] = []
    current = torch.zeros(num_envs, dtype=torch.long)
    for _ in range(steps):
        with torch.inference_mode():
            obs = agent.obs_to_torch(obs)
            actions = agent.get_action(obs, is_deterministic=agent.is_deterministic)
            obs, _, dones, _ = env.step(actions)
            if len(dones) > 0 and agent.is_rnn and agent.states is not None:
                for s in agent.states:
                    s[:, dones, :] = 0.0
        current += 1
        lengths += current[dones].tolist()
        current[dones] = 0
    env.close()
    return {"lengths": lengths, "player": agent}
