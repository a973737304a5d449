"""``EnvTensorAdapter`` (old name ``TorchVecEnv``): any ``IVecEnv`` presented to the trainer as
torch tensors on the training device.

Two modes, chosen from the first ``reset()`` observation:

* tensor mode (the env returns torch tensors, e.g. an Isaac-style GPU simulator): actions are
  passed as tensors and every output stays where it is (``.to(device)`` is a no-op when the env
  already runs on ``device``); no host copies.
* numpy mode (envpool, gymnasium): actions cross to the host once (on CUDA through a pinned buffer
  and one stream sync), outputs come back through ``torch.from_numpy`` (zero-copy on CPU) and one
  non-blocking ``.to(device)``. uint8 observations stay uint8; other non-float32 float/integer
  observations become float32.

Rewards come out as float32 ``[N, value_size]``, dones and time-outs as bool ``[N]``. The adapter
never rescales actions (the agent maps them to the action space).

The env's spaces (``env_info``) are converted to gymnasium spaces here, once (legacy ``gym``
spaces included, see :mod:`rl_games.envs.spaces`). An env that does not report ``num_envs``
(IsaacGymEnvs' ``RLGPU`` vecenv) has it learnt from its first reset's observation, as rl_games
does: asking ``num_envs`` before ``reset()`` resets the env once and keeps that observation for
the next ``reset()``, so the env sees no extra reset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from rl_games.envs.base import EnvLifecycleDelegate, IVecEnv
from rl_games.envs.spaces import convert_env_info


def _first_leaf(obs: Any) -> Any:
    """The first array/tensor of an observation (dicts may nest: Isaac Lab's obs groups)."""
    while isinstance(obs, dict):
        obs = next(iter(obs.values()))
    return obs


def _is_tensor_obs(obs: Any) -> bool:
    if isinstance(obs, dict):
        return any(_is_tensor_obs(v) for v in obs.values())
    return isinstance(obs, torch.Tensor)


class EnvTensorAdapter(EnvLifecycleDelegate):
    """Wraps ``env`` (an ``IVecEnv``) for a training loop that works in torch on ``device``."""

    def __init__(
        self,
        env: IVecEnv,
        device: str | torch.device = "cpu",
        num_envs: int | None = None,
        env_info: dict[str, Any] | None = None,
    ) -> None:
        """``env_info`` replaces ``env.get_env_info()`` (rl_games' ``config['env_info']``)."""
        self.env = env
        self.device = torch.device(device)
        self.env_info: dict[str, Any] = convert_env_info(env_info or env.get_env_info())
        self._num_envs = num_envs if num_envs is not None else getattr(env, "num_envs", None)
        self.tensor_mode: bool | None = None  # decided at the first reset()
        #: the observation of a reset made only to learn num_envs, handed out by the next reset()
        self._pending_obs: Any = None
        self._pinned: torch.Tensor | None = None
        #: the last step's dones as the env gave them, when it gave host data (numpy envs):
        #: done indices without a device round trip (observer hooks)
        self.host_dones: np.ndarray | None = None

    # ---- properties -----------------------------------------------------------------------

    @property
    def num_envs(self) -> int:
        """Envs in the batch: given, the env's ``num_envs``, else learnt from the first reset."""
        if self._num_envs is None:
            self._pending_obs = self._reset_env()
        return int(self._num_envs)

    @property
    def num_agents(self) -> int:
        agents = self.env_info.get("agents")
        return int(agents) if agents is not None else int(self.env.get_number_of_agents())

    @property
    def autoreset_mode(self) -> str:
        return str(self.env_info.get("autoreset_mode", "same_step"))

    @property
    def value_size(self) -> int:
        return int(self.env_info.get("value_size", 1))

    @property
    def observation_space(self) -> Any:
        return self.env_info["observation_space"]

    @property
    def action_space(self) -> Any:
        return self.env_info["action_space"]

    # ---- conversions ------------------------------------------------------------------------

    def to_device(self, x: Any) -> Any:
        """Observations (array, tensor or dict of them) as tensors on ``device``.

        uint8 stays uint8, float32 stays float32, other numeric dtypes become float32.
        """
        if isinstance(x, dict):
            return {k: self.to_device(v) for k, v in x.items()}
        if isinstance(x, torch.Tensor):
            t = x
        else:
            arr = np.asarray(x)
            if arr.dtype != np.uint8 and arr.dtype != np.float32:
                arr = arr.astype(np.float32)
            t = torch.from_numpy(np.ascontiguousarray(arr))
        if t.dtype != torch.uint8 and t.dtype != torch.float32:
            t = t.float()
        return t.to(self.device, non_blocking=True)

    def _as_tensor(self, x: Any, dtype: torch.dtype) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            t = x
        else:
            t = torch.from_numpy(np.ascontiguousarray(np.asarray(x)))
        return t.to(device=self.device, dtype=dtype, non_blocking=True)

    def _actions_for_env(self, actions: torch.Tensor) -> Any:
        if self.tensor_mode:
            return actions
        actions = actions.detach()
        if actions.device.type != "cuda":
            return actions.cpu().numpy()
        pinned = self._pinned
        if pinned is None or pinned.shape != actions.shape or pinned.dtype != actions.dtype:
            pinned = torch.empty(actions.shape, dtype=actions.dtype, pin_memory=True)
            self._pinned = pinned
        pinned.copy_(actions, non_blocking=True)
        torch.cuda.current_stream(actions.device).synchronize()
        return pinned.numpy()

    def _time_outs(self, infos: Any, n: int) -> torch.Tensor:
        time_outs = None
        if isinstance(infos, dict):
            time_outs = infos.get("time_outs")
        elif isinstance(infos, (list, tuple)) and infos and isinstance(infos[0], dict):
            time_outs = [bool(i.get("time_outs", False)) for i in infos]
        if time_outs is None:
            return torch.zeros(n, dtype=torch.bool, device=self.device)
        return self._as_tensor(time_outs, torch.bool)

    # ---- env API ----------------------------------------------------------------------------

    def _reset_env(self) -> Any:
        obs = self.env.reset()
        if self.tensor_mode is None:
            self.tensor_mode = _is_tensor_obs(obs)
        obs = self.to_device(obs)
        if self._num_envs is None:
            self._num_envs = int(_first_leaf(obs).shape[0]) // max(self.num_agents, 1)
        return obs

    def reset(self) -> Any:
        """Reset every env; the first call may return the observation of the reset that
        ``num_envs`` made (nothing has stepped the env since)."""
        obs, self._pending_obs = self._pending_obs, None
        return obs if obs is not None else self._reset_env()

    def step(
        self, actions: torch.Tensor
    ) -> tuple[Any, torch.Tensor, torch.Tensor, torch.Tensor, Any]:
        """``(obs, rewards [N, value_size] float32, dones bool [N], time_outs bool [N], infos)``.

        ``infos`` is the env's own (unconverted) infos.
        """
        if self.tensor_mode is None:
            raise RuntimeError("call reset() before step()")
        self._pending_obs = None
        obs, rewards, dones, infos = self.env.step(self._actions_for_env(actions))
        self.host_dones = None if isinstance(dones, torch.Tensor) else np.asarray(dones)
        obs = self.to_device(obs)
        rewards = self._as_tensor(rewards, torch.float32)
        rewards = rewards.reshape(rewards.shape[0], -1)
        dones = self._as_tensor(dones, torch.bool)
        return obs, rewards, dones, self._time_outs(infos, dones.shape[0]), infos

    def seed(self, seed: int) -> None:
        """Seed the env; a kept reset observation is dropped so the next reset uses the seed."""
        self._pending_obs = None
        self.env.seed(seed)

    def has_action_masks(self) -> bool:
        return bool(self.env.has_action_masks())

    def get_action_masks(self) -> torch.Tensor | None:
        masks = self.env.get_action_masks()
        return None if masks is None else self._as_tensor(masks, torch.bool)


# The old name of EnvTensorAdapter (the trainers, players and user code import it).
TorchVecEnv = EnvTensorAdapter
