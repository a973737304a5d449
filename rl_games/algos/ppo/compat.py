"""rl_games' attribute names on the PPO agent, as read-only views of our state (no copies):
research code that subclasses rl_games' ``A2CAgent`` reads them."""

from __future__ import annotations

from typing import Any


def _config_alias(field: str, doc: str) -> property:
    """A read-only property returning ``self.cfg.<field>``."""

    def get(self: Any) -> Any:
        return getattr(self.cfg, field)

    return property(get, doc=doc)


class RLGamesAttributes:
    """``vec_env``, ``ppo_device``, ``algo_observer``, ``value_mean_std``, config values, ..."""

    horizon_length = _config_alias("horizon_length", "steps per env per epoch")
    num_actors = _config_alias("num_actors", "envs (actors) per process")
    mini_epochs_num = _config_alias("mini_epochs", "passes over the batch per epoch")
    e_clip = _config_alias("e_clip", "PPO ratio clip range")
    clip_value = _config_alias("clip_value", "whether the value loss is clipped")
    critic_coef = _config_alias("critic_coef", "value loss weight")
    bounds_loss_coef = _config_alias("bounds_loss_coef", "bounds loss weight (None: off)")
    gamma = _config_alias("gamma", "discount")
    tau = _config_alias("tau", "GAE lambda")
    normalize_input = _config_alias("normalize_input", "observation normalizer on")
    normalize_value = _config_alias("normalize_value", "value normalizer on")
    normalize_advantage = _config_alias("normalize_advantage", "advantage normalization on")
    truncate_grads = _config_alias("truncate_grads", "gradient clipping on")
    grad_norm = _config_alias("grad_norm", "gradient clipping norm")
    mixed_precision = _config_alias("mixed_precision", "bf16 autocast (CUDA)")

    @property
    def vec_env(self) -> Any:
        """The env the agent steps (our ``TorchVecEnv``)."""
        return self.env

    @property
    def ppo_device(self) -> Any:
        """The training device (rl_games keeps rollouts there)."""
        return self.device

    @property
    def algo_observer(self) -> Any:
        """The rl_games-style observer the Runner set (``self.observer``)."""
        return self.observer

    @property
    def has_central_value(self) -> bool:
        return self.central_value_net is not None

    @property
    def is_discrete(self) -> bool:
        return not self.is_continuous

    @property
    def value_mean_std(self) -> Any:
        """The normalizer for values and returns: the central value's when there is one."""
        cv = self.central_value_net
        return getattr(self.model if cv is None else cv.model, "value_mean_std", None)

    @property
    def current_rewards(self) -> Any:
        """Running (unshaped) reward sums of the unfinished episodes, ``[envs, value_size]``."""
        return self.episodes.cur_reward

    @property
    def current_shaped_rewards(self) -> Any:
        return self.episodes.cur_shaped

    @property
    def current_lengths(self) -> Any:
        """Running lengths of the unfinished episodes, ``[envs]``."""
        return self.episodes.cur_length
