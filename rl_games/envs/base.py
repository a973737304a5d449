"""The vectorised-env interface the runner talks to, and small shared helpers.

``IVecEnv`` mirrors rl_games' interface method for method, so a user vecenv written for rl_games
plugs in unchanged. Envs may return numpy arrays (then actions arrive as numpy) or torch tensors
(then actions arrive as tensors on the same device); ``rl_games.envs.adapter.EnvTensorAdapter`` turns
either into the torch API the training loop uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

AUTORESET_MODES = ("same_step", "next_step")

# Import name of an optional package -> the command that installs it.
INSTALL_HINTS: dict[str, str] = {
    "envpool": "pip install envpool",
    "gymnasium": "pip install gymnasium",
    "Box2D": "pip install swig && pip install 'gymnasium[box2d]'",
    "box2d": "pip install swig && pip install 'gymnasium[box2d]'",
    "mujoco": "pip install 'gymnasium[mujoco]'",
    # the constraint file keeps the CPU torch (mjlab pulls a CUDA one through torchvision)
    "mjlab": "pip install -c constraints.txt -e '.[mjlab]'",
    "ale_py": "pip install ale-py",
    "brax": "pip install -c constraints.txt -e '.[brax]'",
    "mujoco_playground": "pip install -c constraints.txt -e '.[brax]'",
}


class EnvCreationError(RuntimeError):
    """An environment could not be built (typically a missing optional package); says how to fix it."""


def install_hint(module: str) -> str:
    """The pip command that provides the top-level module ``module``."""
    top = module.split(".")[0]
    return INSTALL_HINTS.get(top, f"pip install {top}")


def float32_box(space: Any) -> Any:
    """A gymnasium ``Box`` with float32 dtype in place of a float64 one (others are returned as is).

    The vecenvs here hand out float32 observations for every float dtype, so their spaces say so.
    """
    from gymnasium import spaces

    if not isinstance(space, spaces.Box) or space.dtype in (np.float32, np.uint8):
        return space
    if np.dtype(space.dtype).kind != "f":
        return space
    with np.errstate(over="ignore"):
        low = np.asarray(space.low, dtype=np.float64).astype(np.float32)
        high = np.asarray(space.high, dtype=np.float64).astype(np.float32)
    return spaces.Box(low=low, high=high, shape=space.shape, dtype=np.float32)


def box_subspace(box: Any, keep: list[int]) -> Any:
    """The gymnasium ``Box`` of the entries ``keep`` of a flat ``box``."""
    from gymnasium import spaces

    return spaces.Box(box.low[keep], box.high[keep], dtype=box.dtype)


def actor_observation(obs: Any, obs_space: Any) -> Any:
    """The actor's part of an env observation, by rl_games' rule: a dict holding ``obs`` is the
    ``{'obs', 'states'}`` envelope (``states`` feed a central-value critic) and gives ``obs``;
    any other observation is the actor's as it is. With a ``Dict`` observation space, a dict is
    that envelope only when ``obs`` is not one of the space's own keys."""
    if not isinstance(obs, dict) or "obs" not in obs:
        return obs
    own_keys = getattr(obs_space, "spaces", None)
    if isinstance(own_keys, dict) and "obs" in own_keys:
        return obs
    return obs["obs"]


def make_env_info(
    observation_space: Any,
    action_space: Any,
    *,
    agents: int = 1,
    value_size: int = 1,
    state_space: Any = None,
    autoreset_mode: str = "same_step",
) -> dict[str, Any]:
    """Build an rl_games-style ``env_info`` dict.

    Keys: ``observation_space``, ``action_space``, ``agents``, ``value_size``, ``autoreset_mode``
    and, only when given, ``state_space`` (the central-value critic's observation space).
    ``autoreset_mode`` is ``'same_step'`` (the step that ends an episode already returns the first
    observation of the next one) or ``'next_step'`` (the step after a done is a reset step whose
    action is ignored and whose reward is 0; the agent must mask those rows).
    """
    if autoreset_mode not in AUTORESET_MODES:
        raise ValueError(f"autoreset_mode must be one of {AUTORESET_MODES}, got {autoreset_mode!r}")
    info: dict[str, Any] = {
        "observation_space": observation_space,
        "action_space": action_space,
        "agents": int(agents),
        "value_size": int(value_size),
        "autoreset_mode": autoreset_mode,
    }
    if state_space is not None:
        info["state_space"] = state_space
    return info


class IVecEnv:
    """rl_games' vectorised-env interface.

    Subclasses must implement ``step``, ``reset`` and ``get_env_info``; the other methods have the
    defaults rl_games gives them.
    """

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any]:
        """Apply one action per env; return ``(obs, rewards, dones, infos)``.

        ``infos`` is preferably a dict; ``infos['time_outs']`` (bool per env) marks truncations so
        the agent can bootstrap their value.
        """
        raise NotImplementedError

    def reset(self) -> Any:
        """Reset every env and return the batched observation."""
        raise NotImplementedError

    def get_number_of_agents(self) -> int:
        return 1

    def get_env_info(self) -> dict[str, Any]:
        """See :func:`make_env_info` for the keys."""
        raise NotImplementedError

    def has_action_masks(self) -> bool:
        return False

    def get_action_masks(self) -> Any:
        return None

    def seed(self, seed: int) -> None:
        """Seed the envs; takes effect at the next ``reset`` where the backend allows it."""

    def set_train_info(self, env_frames: int, *args: Any, **kwargs: Any) -> None:
        """Called at the start of every training epoch with the frame count (curricula use it)."""

    def get_env_state(self) -> Any:
        """State saved in checkpoints (None: nothing to save)."""
        return None

    def set_env_state(self, env_state: Any) -> None:
        """Restore what ``get_env_state`` returned."""

    def close(self) -> None:
        """Release the envs' resources."""


class EnvLifecycleDelegate:
    """``seed``, ``set_train_info``, env state and ``close`` passed through to ``self.env``
    unchanged: shared by every wrapper that holds an ``IVecEnv``."""

    env: IVecEnv

    def seed(self, seed: int) -> None:
        self.env.seed(seed)

    def set_train_info(self, env_frames: int, *args: Any, **kwargs: Any) -> None:
        self.env.set_train_info(env_frames, *args, **kwargs)

    def get_env_state(self) -> Any:
        return self.env.get_env_state()

    def set_env_state(self, env_state: Any) -> None:
        self.env.set_env_state(env_state)

    def close(self) -> None:
        self.env.close()


class VecEnvWrapper(EnvLifecycleDelegate, IVecEnv):
    """An ``IVecEnv`` around another one: every method delegates to ``self.env``; subclasses
    override only what they change (typically ``step``/``reset``/``get_env_info``)."""

    def __init__(self, env: IVecEnv) -> None:
        self.env = env
        self.num_envs = getattr(env, "num_envs", None)

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any]:
        return self.env.step(actions)

    def reset(self) -> Any:
        return self.env.reset()

    def get_env_info(self) -> dict[str, Any]:
        return self.env.get_env_info()

    def get_number_of_agents(self) -> int:
        return self.env.get_number_of_agents()

    def has_action_masks(self) -> bool:
        return self.env.has_action_masks()

    def get_action_masks(self) -> Any:
        return self.env.get_action_masks()
