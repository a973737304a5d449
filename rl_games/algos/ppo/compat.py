"""rl_games' attribute names on the PPO agent, as views of our state (no copies): research code
that subclasses rl_games' ``A2CAgent`` (IsaacGymEnvs' AMP, ASE, CALM, PHC) reads them, and
assigns some of them (``self.bounds_loss_coef = ...``, ``self.is_discrete = False``,
``self.value_mean_std = ...``, ``self.last_mean_rewards = -100500``, ``self.current_rewards =
self.current_rewards * not_dones``), as it may on rl_games' plain attributes.

Every view is a *non-data* descriptor (:class:`rl_alias`): reading computes it from our state;
assigning stores an instance attribute that shadows the view from then on, exactly as an
assignment to rl_games' attribute would. The few views whose assignment must reach our state
(episode sums, best reward, run directory) are properties with setters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from rl_games.training.observers import AlgoObserver


class rl_alias:  # noqa: N801 - used as a decorator, like ``property``
    """A read view that an assignment on the instance replaces (a non-data descriptor)."""

    def __init__(self, fget: Callable[[Any], Any]) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else self.fget(obj)


def _config_alias(field: str, doc: str) -> rl_alias:
    """``self.<name>`` reads ``self.cfg.<field>`` until the instance assigns its own value."""

    def get(self: Any) -> Any:
        return getattr(self.cfg, field)

    get.__doc__ = doc
    return rl_alias(get)


class GamesMeter:
    """rl_games' ``AverageMeter`` API over a window of finished games (``current_size``,
    ``get_mean()``, ``update(values)``, ``clear()``). ``update`` appends rows (one host read:
    meant for a subclass' own ``play_steps``; ours records games on the device instead)."""

    def __init__(self, window: Any, width: int | None) -> None:
        self._window, self._width = window, width

    @property
    def current_size(self) -> int:
        return len(self._window)

    def __len__(self) -> int:
        return self.current_size

    def get_mean(self) -> np.ndarray:
        """Mean over the window (``[value_size]``, ``[1]`` for lengths); zeros without games."""
        if not self._window:
            return np.zeros(self._width or 1, dtype=np.float32)
        rows = [np.atleast_1d(np.asarray(x, dtype=np.float32)) for x in self._window]
        return np.mean(np.stack(rows), axis=0)

    def update(self, values: torch.Tensor) -> None:
        """Add finished games: ``[k, value_size]`` rewards or ``[k]`` lengths (extra unit dims,
        as ``x[dones.nonzero()]`` gives them, are dropped)."""
        host = values.detach().float().cpu().numpy()
        if self._width is None:
            self._window.extend(host.reshape(-1).tolist())
        else:
            self._window.extend(host.reshape(-1, self._width))

    def clear(self) -> None:
        self._window.clear()


class RLGamesAttributes:
    """``vec_env``, ``ppo_device``, ``algo_observer``, ``value_mean_std``, config values, ..."""

    horizon_length = _config_alias("horizon_length", "steps per env per epoch")
    num_actors = _config_alias("num_actors", "envs (actors) per process")
    mini_epochs_num = _config_alias("mini_epochs", "passes over the batch per epoch")
    e_clip = _config_alias("e_clip", "PPO ratio clip range")
    clip_value = _config_alias("clip_value", "whether the value loss is clipped")
    critic_coef = _config_alias("critic_coef", "value loss weight")
    bounds_loss_coef = _config_alias("bounds_loss_coef", "bounds loss weight (None: off)")
    bound_loss_type = _config_alias("bound_loss_type", "'bound' or 'regularisation'")
    gamma = _config_alias("gamma", "discount")
    tau = _config_alias("tau", "GAE lambda")
    normalize_input = _config_alias("normalize_input", "observation normalizer on")
    normalize_value = _config_alias("normalize_value", "value normalizer on")
    normalize_advantage = _config_alias("normalize_advantage", "advantage normalization on")
    normalize_rms_advantage = _config_alias("normalize_rms_advantage", "EMA advantage stats")
    truncate_grads = _config_alias("truncate_grads", "gradient clipping on")
    grad_norm = _config_alias("grad_norm", "gradient clipping norm")
    mixed_precision = _config_alias("mixed_precision", "bf16 autocast (CUDA)")
    weight_decay = _config_alias("weight_decay", "Adam weight decay")
    ppo = _config_alias("ppo", "False: vanilla policy gradient loss")
    schedule_type = _config_alias("schedule_type", "when the adaptive LR steps")
    clip_actions = _config_alias("clip_actions", "clamp and rescale continuous actions")
    value_bootstrap = _config_alias("value_bootstrap", "bootstrap values on time-outs")
    zero_rnn_on_done = _config_alias("zero_rnn_on_done", "zero RNN states on done")
    seq_len = _config_alias("seq_length", "RNN sequence length (rl_games 1.x name)")
    print_stats = _config_alias("print_stats", "console line per epoch")
    save_freq = _config_alias("save_frequency", "periodic checkpoint every N epochs")
    save_best_after = _config_alias("save_best_after", "first epoch a best checkpoint is saved")
    max_epochs = _config_alias("max_epochs", "epoch budget (-1: none)")
    multi_gpu = _config_alias("multi_gpu", "torchrun data parallel")
    epochs_between_resets = _config_alias("epochs_between_resets", "forced env resets")
    use_diagnostics = _config_alias("use_diagnostics", "diagnostics/* scalars")
    central_value_config = _config_alias("central_value_config", "the critic's config")
    env_name = _config_alias("env_name", "the env's registered name")
    env_config = _config_alias("env_config", "kwargs of the env creator")
    train_dir = _config_alias("train_dir", "root of run directories")
    has_self_play_config = False  # set per instance by PPOAgent when self_play_config is given
    is_train = True

    # ------------------------------------------------------------------ derived values
    @rl_alias
    def vec_env(self) -> Any:
        """The env object ``vecenv.create_vec_env`` made (or the user passed), as rl_games
        holds it: its own ``reset_done()``, ``env``, ... are reachable. The agent steps it
        through ``self.env`` (tensors on the training device)."""
        return self.env.env

    @rl_alias
    def ppo_device(self) -> Any:
        """The training device (rl_games keeps rollouts there)."""
        return self.device

    @rl_alias
    def algo_observer(self) -> Any:
        """The rl_games-style observer the Runner set; a no-op one until it does."""
        return self.observer if self.observer is not None else AlgoObserver()

    @rl_alias
    def has_central_value(self) -> bool:
        return self.central_value_net is not None

    @rl_alias
    def is_discrete(self) -> bool:
        return not self.is_continuous

    @rl_alias
    def value_mean_std(self) -> Any:
        """The normalizer for values and returns: the central value's when there is one."""
        cv = self.central_value_net
        return getattr(self.model if cv is None else cv.model, "value_mean_std", None)

    @rl_alias
    def observation_space(self) -> Any:
        return self.env.observation_space

    @rl_alias
    def state_space(self) -> Any:
        return self.env_info.get("state_space")

    @rl_alias
    def batch_size_envs(self) -> int:
        """Steps per epoch counted per env (not per agent)."""
        return self.horizon_length * self.num_actors

    @rl_alias
    def num_minibatches(self) -> int:
        return self.batch_size // self.minibatch_size

    @rl_alias
    def games_num(self) -> int:
        """RNN sequences per minibatch (rl_games' name)."""
        return self.minibatch_size // self.seq_length

    @rl_alias
    def global_rank(self) -> int:
        return self.rank

    @rl_alias
    def local_rank(self) -> int:
        return self.rank

    @rl_alias
    def name(self) -> str:
        return self.base_name

    @rl_alias
    def network(self) -> Any:
        """rl_games' model object (``params.model`` around ``params.network``'s builder):
        ``self.network.build(self._build_net_config())`` builds another model."""
        from rl_games.builders import MODELS, build_network_builder

        return MODELS.get(self.params.model.name)(build_network_builder(self.params.network))

    @rl_alias
    def rewards_shaper(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """``config.reward_shaper`` as rl_games' callable: ``shaped = self.rewards_shaper(r)``."""
        from rl_games.algos.ppo.rollout import shape_rewards

        rs = self.cfg.reward_shaper
        args = (rs.scale_value, rs.shift_value, rs.min_val, rs.max_val, rs.log_val)
        return lambda rewards: shape_rewards(rewards, *args)

    # ------------------------------------------------------------------ writable state
    @property
    def last_mean_rewards(self) -> float:
        """Best mean reward so far (rl_games' name; assigning it sets the best reward)."""
        return self.best_reward

    @last_mean_rewards.setter
    def last_mean_rewards(self, value: float) -> None:
        self.best_reward = float(np.max(value))

    @property
    def game_rewards(self) -> GamesMeter:
        """Rewards of the last ``games_to_track`` games; ``update(rewards[done_indices])``."""
        return GamesMeter(self.episodes.rewards, self.value_size)

    @property
    def game_shaped_rewards(self) -> GamesMeter:
        return GamesMeter(self.episodes.shaped, self.value_size)

    @property
    def game_lengths(self) -> GamesMeter:
        return GamesMeter(self.episodes.lengths, None)

    @property
    def current_rewards(self) -> torch.Tensor:
        """Running (unshaped) reward sums of the unfinished episodes, ``[envs, value_size]``."""
        return self.episodes.cur_reward

    @current_rewards.setter
    def current_rewards(self, value: torch.Tensor) -> None:
        self.episodes.cur_reward = value

    @property
    def current_shaped_rewards(self) -> torch.Tensor:
        return self.episodes.cur_shaped

    @current_shaped_rewards.setter
    def current_shaped_rewards(self, value: torch.Tensor) -> None:
        self.episodes.cur_shaped = value

    @property
    def current_lengths(self) -> torch.Tensor:
        """Running lengths of the unfinished episodes, ``[envs]``."""
        return self.episodes.cur_length

    @current_lengths.setter
    def current_lengths(self, value: torch.Tensor) -> None:
        self.episodes.cur_length = value

    @property
    def network_path(self) -> str:
        """The run's ``nn`` directory (rl_games' name); created on first use, as rl_games
        creates it when the agent is built."""
        return self.__dict__.get("_network_path") or str(self.nn_dir)

    @network_path.setter
    def network_path(self, value: str) -> None:
        self.__dict__["_network_path"] = value

    @property
    def nn_dir(self) -> Any:
        """The run's ``nn`` directory; a subclass reading it before training (rl_games creates
        it in ``__init__``) gets the run directory made then (rank 0)."""
        if self.__dict__.get("_nn_dir") is None and self.rank == 0:
            self.setup_run_dir()
        return self.__dict__.get("_nn_dir")

    @nn_dir.setter
    def nn_dir(self, value: Any) -> None:
        self.__dict__["_nn_dir"] = value

    @property
    def experiment_dir(self) -> str:
        return str(self.run_dir)

    def init_rnn_from_model(self, model: Any) -> None:
        """rl_games' name: ``is_rnn`` from a (re)built model."""
        self.is_rnn = bool(model.is_rnn())
