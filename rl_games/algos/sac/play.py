"""SAC's env-side verbs as methods of the agent (rl_games' names): ``env_reset``, ``env_step``,
``act``, ``play_steps`` (env steps into the replay buffer, each followed by gradient updates),
``clear_stats``, ``set_eval`` / ``set_train``. Nothing here reads device values back to the host
(on CPU the episode statistics are refreshed as soon as an episode ends, which costs nothing)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import torch

from rl_games.algos.ppo.rollout import shape_rewards

if TYPE_CHECKING:
    from rl_games.config.schema import SACConfig
    from rl_games.envs import TorchVecEnv
    from rl_games.networks.sac import SACModel
    from rl_games.storage.replay import ReplayBuffer
    from rl_games.training.episode_stats import EpisodeTracker
    from rl_games.training.observe import ObserverHooks

TRACK_STEPS = 256  # env steps of episode bookkeeping kept on device between reads


class SACPlayMixin:
    """Acting and collecting of :class:`rl_games.algos.sac.agent.SACAgent` (which sets this
    state)."""

    cfg: SACConfig
    model: SACModel
    env: TorchVecEnv
    hooks: ObserverHooks
    replay_buffer: ReplayBuffer
    episodes: EpisodeTracker
    device: torch.device
    obs: torch.Tensor | None
    prev_dones: torch.Tensor
    time_outs: torch.Tensor | None
    action_low: torch.Tensor
    action_high: torch.Tensor
    action_scale: torch.Tensor
    action_bias: torch.Tensor
    action_dim: int
    num_envs: int
    batch_size: int
    updates_per_step: int
    warmup_epochs: int
    epoch_num: int
    next_step_reset: bool
    mean_rewards: float | None
    _track_t: int
    _eager_stats: bool
    final_mean_reward: float | None

    if TYPE_CHECKING:  # provided by SACUpdateMixin (a stub here would shadow it)

        def update(self, step: int) -> None: ...

    # ------------------------------------------------------------------ env
    def env_reset(self) -> torch.Tensor:
        """Reset every env; returns the observations on the training device."""
        obs = self.env.reset()
        self.prev_dones.zero_()  # no env is in a post-episode reset row
        return obs

    def env_step(
        self, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, Any]:
        """rl_games' ``(obs, rewards [N], dones [N] bool, infos)`` on the training device; the
        step's truncations are kept as ``self.time_outs`` (bool ``[N]``)."""
        obs, rewards, dones, self.time_outs, infos = self.env.step(actions)
        if self.env.tensor_mode:  # torch envs may refill the same buffer in place next step
            obs = obs.clone()
        return obs, rewards[:, 0], dones, infos

    # ------------------------------------------------------------------ acting
    def set_eval(self) -> None:
        """Eval mode for acting (rl_games switches every step, for dropout / batch-norm nets)."""
        for m in self._mode_modules()[0]:
            m.__dict__["training"] = False  # what Module.train(False) sets, minus __setattr__

    def set_train(self) -> None:
        """Train mode; the input normalizer stays frozen (only fresh frames update it)."""
        trained, frozen = self._mode_modules()
        for m in trained:
            m.__dict__["training"] = True
        for m in frozen:
            m.__dict__["training"] = False

    def _mode_modules(self) -> tuple[list[torch.nn.Module], list[torch.nn.Module]]:
        """(every module of the model, the input normalizer's), listed once per model object:
        setting ``training`` on a flat list is what ``Module.train()`` does recursively, at a
        fraction of the cost of walking the tree twice per env step."""
        cached = getattr(self, "_mode_cache", None)
        if cached is None or cached[0] is not self.model:
            rms = getattr(self.model, "running_mean_std", None)
            frozen = list(rms.modules()) if self.model.normalize_input and rms is not None else []
            cached = (self.model, list(self.model.modules()), frozen)
            self._mode_cache = cached
        return cached[1], cached[2]

    @torch.no_grad()
    def act(self, obs: torch.Tensor, action_dim: Any = None, sample: bool = False) -> torch.Tensor:
        """Env-space actions ``clamp(tanh(u) * scale + bias, low, high)`` for raw ``obs``:
        ``u ~ pi(s)`` if ``sample``, else ``u = mu`` (``action_dim``: rl_games' signature)."""
        out = self.model.act({"obs": obs, "deterministic": not sample})
        a = out["actions"] * self.action_scale + self.action_bias
        return torch.maximum(torch.minimum(a, self.action_high), self.action_low)

    def random_actions(self) -> torch.Tensor:
        """Warm-up actions, uniform in the Box."""
        u = torch.rand(self.num_envs, self.action_dim, device=self.device)
        return self.action_low + u * (self.action_high - self.action_low)

    def rewards_shaper(self, rewards: torch.Tensor) -> torch.Tensor:
        """``config.reward_shaper``: ``clamp((r + shift) * scale, min, max)`` (then log)."""
        rs = self.cfg.reward_shaper
        return shape_rewards(
            rewards, rs.scale_value, rs.shift_value, rs.min_val, rs.max_val, rs.log_val
        )

    # ------------------------------------------------------------------ collecting
    def play_steps(self, random_exploration: bool = False) -> dict[str, float]:
        """``num_steps_per_episode`` env steps into the replay buffer, each followed by
        ``updates_per_step`` gradient updates (none during warm-up or before ``batch_size``
        transitions were offered). Returns the seconds spent stepping, playing, updating."""
        times = dict.fromkeys(("step_time", "play_time", "update_time"), 0.0)
        for _ in range(self.cfg.num_steps_per_episode):
            t0 = time.perf_counter()
            self.set_eval()
            times["step_time"] += self.play_step(random_exploration)
            self.hooks.after_steps()
            t1 = time.perf_counter()
            times["play_time"] += t1 - t0
            if random_exploration or self.replay_buffer.rows_offered < self.batch_size:
                continue
            self.set_train()
            for _ in range(self.updates_per_step):
                self.update(self.epoch_num)
            times["update_time"] += time.perf_counter() - t1
        return times

    def train_epoch(self) -> dict[str, float]:
        """One epoch: uniform random actions for the first ``warmup_epochs`` epochs."""
        return self.play_steps(random_exploration=self.epoch_num <= self.warmup_epochs)

    @torch.no_grad()
    def play_step(self, random_exploration: bool) -> float:
        """One env step stored in the replay buffer; returns the env.step seconds."""
        obs = self.obs
        if random_exploration:
            actions = self.random_actions()
        else:
            actions = self.act(obs, self.action_dim, sample=True)
        t0 = time.perf_counter()
        next_obs, rewards, dones, infos = self.env_step(actions)
        step_time = time.perf_counter() - t0
        self.hooks.step(infos, dones, self.env.host_dones)
        shaped = self.rewards_shaper(rewards)
        time_outs = self.time_outs
        # value_bootstrap: a time-out is not a termination, the target bootstraps through it
        terminated = dones & ~time_outs if self.cfg.value_bootstrap else dones
        self._store_transitions(obs, actions, shaped, next_obs, dones, terminated, time_outs, infos)
        self.model.update_obs_stats(next_obs)  # each fresh frame counted once
        self.obs, self.prev_dones = next_obs, dones
        return step_time

    def _store_transitions(
        self,
        obs: torch.Tensor,
        action: torch.Tensor,
        shaped_rewards: torch.Tensor,
        next_obs: torch.Tensor,
        dones: torch.Tensor,
        terminated: torch.Tensor,
        truncated: torch.Tensor,
        infos: Any,
    ) -> None:
        """One row per env into the replay buffer, and the episode bookkeeping.

        next_step autoreset: the obs returned at a done step IS the final obs, and a row whose
        previous step ended an episode starts from a reset (not a transition: dropped).
        same_step: finished rows bootstrap from the true final observation.
        """
        if self.next_step_reset:
            valid, target_obs = ~self.prev_dones, next_obs
        else:
            valid, target_obs = None, self._bootstrap_obs(obs, next_obs, dones, infos)
        self.replay_buffer.add(
            obs, action, shaped_rewards, target_obs, terminated, truncated, valid
        )
        track_valid = None if valid is None else valid.float()
        # rl_games' SAC meters the shaped rewards: rewards/*, best checkpoint and score_to_win
        per_game = shaped_rewards.unsqueeze(-1)
        self.episodes.step(self._track_t, per_game, per_game, dones, track_valid)
        self._track_t += 1
        # on CPU reading `dones` costs nothing: refresh the mean as soon as an episode ends
        if self._track_t == TRACK_STEPS or (self._eager_stats and bool(dones.any())):
            self._flush_episodes()

    def _bootstrap_obs(
        self, obs: torch.Tensor, next_obs: torch.Tensor, dones: torch.Tensor, infos: Any
    ) -> torch.Tensor:
        """same_step envs: the TRUE last observation for finished rows (``final_observation``;
        ``s_t`` as a proxy when the env gives none)."""
        final = infos.get("final_observation") if isinstance(infos, dict) else None
        final = obs if final is None else self.env.to_device(final)
        return torch.where(dones.unsqueeze(-1), final.reshape(next_obs.shape), next_obs)

    # ------------------------------------------------------------------ episode statistics
    def _flush_episodes(self) -> None:
        """Move finished games into the ``games_to_track`` windows (one host read)."""
        if self._track_t:
            self.episodes.flush(self._track_t)
            self._track_t = 0
            mean = self.episodes.mean_reward()
            self.final_mean_reward = None if mean is None else float(mean[0])

    def clear_stats(self) -> None:
        """Forget the finished games (not the best reward) and tell the observer."""
        self._flush_episodes()
        self.episodes.clear()
        self.final_mean_reward = None
        self.mean_rewards = None
        self.hooks.after_clear_stats()
