"""``BasePlayer``: what every player shares (rl_games' ``rl_games.common.player.BasePlayer``).

``--play`` restores a policy and runs games, printing each game's reward and steps. Player keys
(``config.player``): ``games_num`` games (times ``n_game_life`` lives) are played; the average is
over every game finished by the step at which that count is reached (as rl-games), multiplied by
``n_game_life``. ``deterministic`` picks the mean / argmax action. ``use_vecenv: False`` plays one
env (one game at a time); otherwise ``player.num_actors`` envs (default
``min(config.num_actors, games)``). ``player.env_config`` replaces ``config.env_config``.
``balance_env_rewards`` averages each env's games first, then the envs (:func:`average_games`),
so that envs finishing many short games do not dominate the average. ``render`` opens gymnasium
envs with ``render_mode='human'`` (unless the env config names another) and calls the vecenv's
``render()`` if it has one, sleeping ``render_sleep`` s per step. ``print_stats`` prints a line
per game. ``evaluation`` watches ``dir_to_monitor`` for new checkpoints
(:mod:`rl_games.training.evaluation`).

A player subclass supplies ``build_model`` (and calls ``set_action_box`` for Box actions) and
``restore``; the game loop and rl_games' player API (``reset``, ``init_rnn``, ``obs_to_torch``,
``get_batch_size``, ``get_action``, ``is_rnn``, ``is_deterministic``, ``states``) live here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from rl_games.config.build import typed_params
from rl_games.config.schema import Params
from rl_games.envs import TorchVecEnv
from rl_games.envs.base import actor_observation
from rl_games.training.base import build_env, resolve_device

log = logging.getLogger(__name__)

MAX_PLAY_STEPS = 1_000_000  # safety cap on env steps of one play_games call


def _is_gymnasium_env(env_name: str) -> bool:
    from rl_games.envs.registry import ENV_CONFIGURATIONS

    if env_name not in ENV_CONFIGURATIONS:
        return False
    return ENV_CONFIGURATIONS.get(env_name).get("vecenv_type") == "GYMNASIUM"


def make_player_env(params: Params, device: torch.device) -> TorchVecEnv:
    """The env the player runs on (``use_vecenv``, ``num_actors``, ``env_config``, ``render``)."""
    cfg, pcfg = params.config, params.config.player
    env_config = dict(pcfg.env_config if pcfg.env_config is not None else cfg.env_config)
    if pcfg.render and _is_gymnasium_env(cfg.env_name):
        env_config.setdefault("render_mode", "human")
    if not pcfg.use_vecenv:
        num = 1
    else:
        games = pcfg.games_num * pcfg.n_game_life
        num = pcfg.num_actors or max(1, min(cfg.num_actors, games))
    return build_env(cfg, params.seed, device, num_actors=num, env_config=env_config)


class BasePlayer:
    """Plays a policy on the vectorized env; rl_games' player API for scripts that step their
    own env (Isaac Lab's play.py: ``restore``, ``reset``, ``get_batch_size``, ``init_rnn`` if
    ``is_rnn``, then ``get_action(obs_to_torch(obs), is_deterministic)`` in a loop, zeroing
    ``states[i][:, done_ids, :]`` for finished envs)."""

    def __init__(self, params: Params | Mapping[str, Any], env: TorchVecEnv | None = None) -> None:
        self.params = typed_params(params, training=False)
        cfg = self.params.config
        self.pcfg = cfg.player
        self.device = resolve_device(self.pcfg.device_name or cfg.device_name or cfg.device)
        self.env = env or make_player_env(self.params, self.device)
        self.num_agents: int = self.env.num_agents
        self.is_continuous = False
        self.model = self.build_model()
        self.model.eval()
        self._init_player_api()

    # ------------------------------------------------------------------ subclass hooks
    def build_model(self) -> torch.nn.Module:
        """The policy for ``self.env``'s spaces on ``self.device`` (Box actions: also call
        :meth:`set_action_box`)."""
        raise NotImplementedError(f"{type(self).__name__} must implement build_model()")

    def restore(self, path: str | Path) -> None:
        """Load the policy weights (and env state, where saved) from checkpoint ``path``."""
        raise NotImplementedError(f"{type(self).__name__} must implement restore(path)")

    def set_sigma(self, sigma: float) -> None:
        log.warning("--sigma does not apply to %s; ignored", type(self).__name__)

    def set_action_box(self, low: torch.Tensor, high: torch.Tensor) -> None:
        """Continuous actions: policy actions in [-1, 1] map linearly onto ``[low, high]``."""
        self.is_continuous = True
        self.scale, self.bias = (high - low) / 2, (high + low) / 2

    def _init_player_api(self) -> None:
        """State of rl_games' player API (``get_action`` & co., see below)."""
        self.is_deterministic: bool = self.pcfg.deterministic
        is_rnn = getattr(self.model, "is_rnn", None)
        self.is_rnn: bool = bool(callable(is_rnn) and is_rnn())
        self.states: list[torch.Tensor] | None = None
        self.batch_size = 1
        self.has_batch_dimension = False

    # ------------------------------------------------------------------ rl_games' names
    @property
    def env_info(self) -> dict[str, Any]:
        return self.env.env_info

    @property
    def action_space(self) -> Any:
        return self.env.action_space

    @property
    def observation_space(self) -> Any:
        return self.env.observation_space

    @property
    def obs_shape(self) -> Any:
        return getattr(self.env.observation_space, "shape", None)

    @property
    def games_num(self) -> int:
        return self.pcfg.games_num

    @property
    def n_game_life(self) -> int:
        return self.pcfg.n_game_life

    @property
    def render_env(self) -> bool:
        return self.pcfg.render

    @property
    def print_stats(self) -> bool:
        return self.pcfg.print_stats

    def env_reset(self, env: Any = None) -> Any:
        """rl_games' player hook: reset ``env`` (default: the player's) -> tensors on the
        player's device."""
        return self.obs_to_torch((env or self.env).reset())

    def env_step(self, env: Any, actions: torch.Tensor) -> tuple[Any, Any, Any, Any]:
        """rl_games' player hook: ``(obs, rewards [N], dones [N], infos)`` of one step of ``env``
        (the player's ``TorchVecEnv`` or a user's vecenv) with env-unit ``actions``."""
        out = env.step(actions)
        obs, rewards, dones, infos = (out[0], out[1], out[2], out[-1])
        rewards = torch.as_tensor(rewards, device=self.device)
        if rewards.dim() > 1 and rewards.shape[-1] == 1:
            rewards = rewards.squeeze(-1)
        return self.obs_to_torch(obs), rewards, torch.as_tensor(dones, device=self.device), infos

    def run(self) -> Any:
        """Play ``games_num`` games, or run the evaluation loop when ``player.evaluation``."""
        if self.pcfg.evaluation:
            from rl_games.training.evaluation import run_evaluation

            return run_evaluation(self)
        return self.play_games()

    # ------------------------------------------------------------------ game loop
    def _policy_input(self, obs: Any, rnn_states: Any, masks: Any = None) -> dict[str, Any]:
        obs = actor_observation(obs, self.env.observation_space)  # {'obs', 'states'} -> 'obs'
        inp: dict[str, Any] = {"obs": obs, "deterministic": self.pcfg.deterministic}
        if masks is None and self.env.has_action_masks():
            masks = self.env.get_action_masks()
        if masks is not None:
            inp["action_masks"] = masks
        if rnn_states is not None:
            inp["rnn_states"] = rnn_states
        return inp

    def _initial_rnn_states(self, n: int | None = None) -> Any:
        if not self.is_rnn:
            return None
        n = self.env.num_envs * self.env.num_agents if n is None else n
        return tuple(
            torch.zeros(s.shape[0], n, *s.shape[2:], device=self.device)
            for s in self.model.get_default_rnn_state()
        )

    def _env_actions(self, actions: torch.Tensor) -> torch.Tensor:
        if self.is_continuous and self.pcfg.clip_actions:
            return actions.clamp(-1.0, 1.0) * self.scale + self.bias
        return actions

    def _render(self) -> None:
        render = getattr(self.env.env, "render", None)
        if callable(render):
            render()
        time.sleep(self.pcfg.render_sleep)

    @torch.inference_mode()
    def play_games(self, stop_check: Callable[[int], bool] | None = None) -> dict[str, Any]:
        """Play until ``games_num * n_game_life`` games ended (or ``stop_check(steps)`` is True,
        asked every ``update_checkpoint_freq`` steps); log and return the averages."""
        pcfg = self.pcfg
        n_games = pcfg.games_num * pcfg.n_game_life
        n = self.env.num_envs * self.env.num_agents
        obs = self.env.reset()
        rnn_states = self._initial_rnn_states()
        cur_r = torch.zeros(n, device=self.device)
        cur_len = torch.zeros(n, device=self.device)
        valid = torch.ones(n, device=self.device)
        next_step = self.env.autoreset_mode == "next_step"
        rewards: list[float] = []
        lengths: list[float] = []
        env_ids: list[int] = []  # the env each game was played on (for balance_env_rewards)
        steps, stopped = 0, False
        while len(rewards) < n_games and steps < MAX_PLAY_STEPS:
            res = self.model.act(self._policy_input(obs, rnn_states))
            obs, r, dones, _timeouts, _ = self.env.step(self._env_actions(res["actions"]))
            steps += 1
            if pcfg.render:
                self._render()
            cur_r += r[:, 0] * valid
            cur_len += valid
            if dones.any():
                self._record_games(dones, cur_r, cur_len, rewards, lengths, env_ids)
                cur_r[dones] = 0.0
                cur_len[dones] = 0.0
                if rnn_states is not None:
                    keep = (~dones).float().view(1, -1, 1)
                    rnn_states = tuple(s * keep for s in res["rnn_states"])
            elif rnn_states is not None:
                rnn_states = res["rnn_states"]
            valid = (~dones).float() if next_step else valid
            freq = max(1, pcfg.update_checkpoint_freq)
            if stop_check is not None and steps % freq == 0 and stop_check(steps):
                stopped = True
                break
        return self._summary(rewards, lengths, env_ids, stopped)

    def _record_games(
        self,
        dones: torch.Tensor,
        cur_r: torch.Tensor,
        cur_len: torch.Tensor,
        rewards: list[float],
        lengths: list[float],
        env_ids: list[int],
    ) -> None:
        agents = self.env.num_agents
        for i in torch.nonzero(dones).flatten().tolist()[::agents]:
            rewards.append(float(cur_r[i]))
            lengths.append(float(cur_len[i]))
            env_ids.append(i // agents)
            if self.pcfg.print_stats:
                log.info("reward: %.2f steps: %.1f", rewards[-1], lengths[-1])

    def _summary(
        self, rewards: list[float], lengths: list[float], env_ids: list[int], stopped: bool
    ) -> dict:
        lives, balance = self.pcfg.n_game_life, self.pcfg.balance_env_rewards
        av_r = average_games(rewards, env_ids, balance) * lives
        av_s = average_games(lengths, env_ids, balance) * lives
        if not stopped:
            log.info("av reward: %s av steps: %s", _num(av_r), _num(av_s))
        return {"av_reward": av_r, "av_steps": av_s, "games": len(rewards), "stopped": stopped}

    # ------------------------------------------------------------------ rl_games player API
    def reset(self) -> None:
        self.init_rnn()

    def init_rnn(self) -> None:
        """Zero recurrent states for ``batch_size`` envs (``get_batch_size`` sets it)."""
        states = self._initial_rnn_states(self.batch_size)
        self.states = list(states) if states is not None else None

    def obs_to_torch(self, obs: Any) -> Any:
        """numpy / tensors (or a dict of them) -> tensors on the player's device; float64 ->
        float32, integer images keep their dtype."""
        if isinstance(obs, dict):
            return {k: self.obs_to_torch(v) for k, v in obs.items()}
        x = torch.as_tensor(obs, device=self.device)
        return x.float() if x.dtype == torch.float64 else x

    def get_batch_size(self, obs: Any, batch_size: int) -> int:
        """``obs``'s leading dim when it has one beyond the observation shape, else
        ``batch_size``; remembered for ``init_rnn`` and ``get_action``."""
        x = obs["obs"] if isinstance(obs, dict) and "obs" in obs else obs
        space = self.env.observation_space
        if isinstance(space, gym.spaces.Dict) and "obs" in space.spaces:
            space = space["obs"]
        if isinstance(space, gym.spaces.Dict) and isinstance(x, dict):  # dict obs: one key tells
            key = next(k for k in space.spaces if k in x)
            space, x = space[key], x[key]
        shape, x = getattr(space, "shape", None), torch.as_tensor(x)
        self.has_batch_dimension = shape is None or x.dim() > len(shape)
        if self.has_batch_dimension:
            batch_size = int(x.shape[0])
        self.batch_size = batch_size
        return batch_size

    def get_action(self, obs: Any, is_deterministic: bool = False) -> torch.Tensor:
        """The action for ``obs`` in the env's units (continuous: clamped and rescaled to the
        action Box unless ``player.clip_actions`` is False); advances ``states``."""
        return self._act(obs, is_deterministic)

    def get_masked_action(
        self, obs: Any, action_masks: Any, is_deterministic: bool = True
    ) -> torch.Tensor:
        """``get_action`` with the given action masks (discrete actions)."""
        return self._act(obs, is_deterministic, self.obs_to_torch(action_masks))

    @torch.no_grad()  # not inference_mode: callers zero ``states`` in place afterwards
    def _act(self, obs: Any, is_deterministic: bool, masks: Any = None) -> torch.Tensor:
        obs = self.obs_to_torch(obs)
        if not self.has_batch_dimension:
            obs = _unsqueeze(obs)
            masks = None if masks is None else masks.unsqueeze(0)
        if self.is_rnn and self.states is None:
            self.init_rnn()
        states = tuple(self.states) if self.states is not None else None
        inp = self._policy_input(obs, states, masks)
        inp["deterministic"] = is_deterministic
        res = self.model.act(inp)
        if self.states is not None:
            self.states = list(res["rnn_states"])
        actions = self._env_actions(res["actions"])
        return actions if self.has_batch_dimension else actions.squeeze(0)


def average_games(values: Sequence[float], env_ids: Sequence[int], balance: bool = False) -> float:
    """The average of finished games' ``values`` (rewards or lengths); NaN without games.

    ``balance=False``: the plain mean over all ``N`` games, ``sum_g v_g / N``.

    ``balance=True`` (``player.balance_env_rewards``): each env's mean first, then the mean over
    the ``E`` envs that finished at least one game::

        mean_e = (1 / n_e) * sum_{g : env(g) = e} v_g        (n_e = games finished by env e)
        average = (1 / E) * sum_e mean_e

    so an env that finishes many short games weighs as much as one that finishes a few long ones.
    ``env_ids[g]`` is the env game ``g`` was played on.
    """
    if len(values) != len(env_ids):
        raise ValueError(f"{len(values)} values but {len(env_ids)} env ids")
    if not len(values):
        return float("nan")
    if not balance:
        return float(np.mean(values))
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    for value, env in zip(values, env_ids, strict=True):
        sums[env] = sums.get(env, 0.0) + float(value)
        counts[env] = counts.get(env, 0) + 1
    return float(np.mean([sums[e] / counts[e] for e in sums]))


def _unsqueeze(obs: Any) -> Any:
    if isinstance(obs, dict):
        return {k: _unsqueeze(v) for k, v in obs.items()}
    return obs.unsqueeze(0)


def _num(x: float) -> str:
    return f"{x:.2f}" if np.isfinite(x) else str(x)
