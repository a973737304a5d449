"""mjlab (MuJoCo Warp) vecenv: vecenv type ``MJLAB``, env name ``mjlab``.

mjlab runs Isaac Lab's manager-based API on MuJoCo Warp; its observations, rewards and dones are
torch tensors on the simulation device (CUDA, or CPU through Warp's CPU backend), so this vecenv
hands them on as they are: no host copy per step.

``env_config`` keys (rl_games 2.0's mjlab configs run unchanged):

* ``task_name``: an mjlab task id (``mjlab.tasks.registry.list_tasks()``), e.g.
  ``'Mjlab-Velocity-Flat-Unitree-Go1'``; default: the env name.
* ``device``: the simulation device. A bare ``'cuda'`` becomes ``cuda:LOCAL_RANK`` (one device
  per torchrun rank); a CUDA device without CUDA becomes ``'cpu'`` (as the trainer's device does).
  Default: the training device (the trainer passes it).
* ``seed``: the task's seed (the runner passes the run seed, offset by rank under torchrun).
* ``episode_length_s`` (ours): replaces the task's episode length in seconds.

Mapping to rl_games: ``num_actors`` -> ``cfg.scene.num_envs``; the actor observation group
(``actor``, or ``policy`` for Isaac Lab style task plugins) -> ``obs``; when the task has a
``critic`` group the observation is ``{'obs': actor, 'states': critic}`` and ``env_info`` carries
its ``state_space`` (a central-value critic reads it); ``terminated | truncated`` -> ``dones``,
``truncated`` -> ``infos['time_outs']`` (bootstrapped); the episode log mjlab fills on reset
steps (``extras['log']``: ``Episode_Reward/<term>``, ``Episode_Termination/<term>``, curricula)
-> ``infos['episode']``, which ``IsaacAlgoObserver`` (``algo_observer: isaac``) averages per epoch
into TensorBoard's ``Episode/<key>``, as for Isaac Lab. Actions are in ``[-1, 1]`` (the task's
action terms scale them), as in rl_games.

mjlab reuses its reward, termination and extras buffers in place between steps: everything
handed out here is a fresh tensor.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from rl_games.envs.base import IVecEnv, make_env_info
from rl_games.training.distributed import env_ranks, rank_device

logger = logging.getLogger(__name__)

ENV_CONFIG_KEYS = ("task_name", "device", "seed", "episode_length_s")
ACTOR_GROUPS = ("actor", "policy")
CRITIC_GROUP = "critic"


def _unknown_keys(env_config: dict[str, Any]) -> list[str]:
    return sorted(k for k in env_config if k not in ENV_CONFIG_KEYS)


def _unknown_keys_message(keys: list[str]) -> str:
    return (
        f"MJLAB env_config has unknown keys {keys}; the MJLAB vecenv reads "
        f"{', '.join(ENV_CONFIG_KEYS)}"
    )


def check_env_config(config_name: str, env_config: dict[str, Any]) -> str | None:
    """A warning about an ``MJLAB`` env_config (unknown keys), without importing mjlab."""
    unknown = _unknown_keys(env_config)
    return _unknown_keys_message(unknown) if unknown else None


def sim_device(requested: str | None, local_rank: int) -> str:
    """The simulation device: a bare ``cuda`` is this rank's GPU; CUDA without CUDA is cpu."""
    if requested is None:
        return "cpu"
    device = torch.device(requested)
    if device.type != "cuda":
        return str(device)
    if not torch.cuda.is_available():
        logger.warning("MJLAB env_config.device '%s' requested without CUDA: using cpu", requested)
        return "cpu"
    return rank_device(requested, local_rank) if device.index is None else str(device)


def load_task_cfg(task_name: str) -> Any:
    """The registered mjlab env config of ``task_name`` (a copy); unknown ids list close ones."""
    import mjlab.tasks  # noqa: F401  (registers mjlab's own tasks and entry-point plugins)
    from mjlab.tasks.registry import list_tasks, load_env_cfg

    known = list_tasks()
    if task_name not in known:
        close = difflib.get_close_matches(task_name, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
        raise ValueError(f"'{task_name}' is not an mjlab task; {hint}")
    return load_env_cfg(task_name)


def _flat_dim(obs: Any, group: str) -> int:
    if not isinstance(obs, torch.Tensor) or obs.dim() != 2:
        raise NotImplementedError(
            f"mjlab observation group '{group}' is not one concatenated [num_envs, dim] tensor "
            "(set concatenate_terms=True on the task's observation group)"
        )
    return int(obs.shape[-1])


def _box(dim: int, bound: float = np.inf) -> spaces.Box:
    return spaces.Box(low=-bound, high=bound, shape=(dim,), dtype=np.float32)


class MjlabVecEnv(IVecEnv):
    """``num_actors`` envs of one mjlab task, stepped on the simulation device."""

    def __init__(
        self,
        config_name: str,
        num_actors: int,
        *,
        task_name: str | None = None,
        device: str | None = None,
        seed: int | None = None,
        episode_length_s: float | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise ValueError(_unknown_keys_message(sorted(unknown)))
        from mjlab.envs import ManagerBasedRlEnv

        self.task_name = str(task_name or config_name)
        self.device = sim_device(device, env_ranks().local_rank)
        cfg = load_task_cfg(self.task_name)
        cfg.scene.num_envs = int(num_actors)
        if seed is not None:
            cfg.seed = int(seed)
        if episode_length_s is not None:
            cfg.episode_length_s = float(episode_length_s)
        self.env = ManagerBasedRlEnv(cfg, device=self.device)
        self.num_envs = int(self.env.num_envs)
        self._pending_seed: int | None = None
        obs, _ = self.env.reset()
        self._setup_spaces(obs)

    def _setup_spaces(self, obs: dict[str, Any]) -> None:
        actor = next((g for g in ACTOR_GROUPS if g in obs), None)
        if actor is None:
            raise ValueError(
                f"mjlab task '{self.task_name}' has no actor observation group "
                f"({' or '.join(ACTOR_GROUPS)}); its groups: {', '.join(obs)}"
            )
        self.actor_group = actor
        self.has_states = CRITIC_GROUP in obs
        self.observation_space = _box(_flat_dim(obs[actor], actor))
        self.state_space = (
            _box(_flat_dim(obs[CRITIC_GROUP], CRITIC_GROUP)) if self.has_states else None
        )
        self.action_space = _box(int(self.env.single_action_space.shape[-1]), 1.0)

    def _observation(self, obs: dict[str, torch.Tensor]) -> Any:
        """``obs[actor]``, or ``{'obs': actor, 'states': critic}`` for a central value."""
        if not self.has_states:
            return obs[self.actor_group]
        return {"obs": obs[self.actor_group], "states": obs[CRITIC_GROUP]}

    def step(self, actions: torch.Tensor) -> tuple[Any, torch.Tensor, torch.Tensor, dict]:
        obs, reward, terminated, truncated, extras = self.env.step(actions)
        infos: dict[str, Any] = {"time_outs": truncated.clone()}
        log = extras.get("log")
        if log:  # filled on steps where some env reset (dict truthiness: no device read)
            infos["episode"] = {
                k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in log.items()
            }
        return self._observation(obs), reward.clone(), terminated | truncated, infos

    def reset(self) -> Any:
        seed, self._pending_seed = self._pending_seed, None
        obs, _ = self.env.reset(seed=seed)
        return self._observation(obs)

    def get_env_info(self) -> dict[str, Any]:
        return make_env_info(
            self.observation_space, self.action_space, state_space=self.state_space
        )

    def seed(self, seed: int) -> None:
        """Takes effect at the next ``reset`` (mjlab seeds torch, numpy and Warp globally)."""
        self._pending_seed = int(seed)

    def close(self) -> None:
        self.env.close()
