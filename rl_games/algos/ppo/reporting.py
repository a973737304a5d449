"""PPO's per-epoch TensorBoard scalars and console line. ``_log_train_info(train_info, frame)``
is the hook a subclass overrides (calling ``super()``) to log its own losses."""

from __future__ import annotations

import time
from typing import Any


class ReportingMixin:
    """``log_epoch`` (called once per epoch by the training loop) and its parts."""

    writer: Any
    cfg: Any

    def log_epoch(self, train_info: dict[str, Any]) -> None:
        frames = self.batch_size * self.world_size
        fps_step = frames / max(train_info["step_time"], 1e-9)
        fps_inf = frames / max(train_info["play_time"], 1e-9)
        fps_total = frames / max(train_info["total_time"], 1e-9)
        frame = self.frame // self.num_agents
        elapsed = time.perf_counter() - self.start_time
        w = self.writer
        w.add_scalar("performance/step_inference_rl_update_fps", fps_total / self.num_agents, frame)
        w.add_scalar("performance/step_inference_fps", fps_inf / self.num_agents, frame)
        w.add_scalar("performance/step_fps", fps_step, frame)
        self._log_train_info(train_info, frame)
        self.write_episode_scalars(frame, elapsed)
        if self.cfg.use_diagnostics:
            self.write_diagnostics(train_info)
        self.log_progress(frame, (fps_step, fps_inf, fps_total), elapsed)
        self.hooks.after_print_stats(frame, self.epoch_num, elapsed)

    def _log_train_info(self, train_info: dict[str, Any], frame: int) -> None:
        """The epoch's timings, losses and schedule (``train_info``: what ``train_epoch``
        returned: loss means, ``kl``, timings) at x = ``frame``."""
        w = self.writer
        w.add_scalar("performance/rl_update_time", train_info["update_time"], frame)
        w.add_scalar("performance/step_inference_time", train_info["play_time"], frame)
        w.add_scalar("performance/step_time", train_info["step_time"], frame)
        for key in ("a_loss", "c_loss", "entropy", "bounds_loss"):
            if key in train_info:
                w.add_scalar(f"losses/{key}", train_info[key], frame)
        for key in (k for k in train_info if k.startswith("aux:")):  # the network's aux losses
            w.add_scalar(f"losses/{key[4:]}", train_info[key], frame)
        w.add_scalar("info/last_lr", self.last_lr, frame)
        w.add_scalar("info/lr_mul", 1.0, frame)
        w.add_scalar("info/e_clip", self.cfg.e_clip, frame)
        w.add_scalar("info/kl", train_info["kl"], frame)
        w.add_scalar("info/epochs", self.epoch_num, frame)

    def write_diagnostics(self, train_info: dict[str, Any]) -> None:
        """The ``diagnostics/*`` scalars of one epoch (x = epoch, as rl_games)."""
        w, x = self.writer, self.epoch_num
        if "exp_var" in train_info:
            w.add_scalar("diagnostics/exp_var", train_info["exp_var"], x)
        for i, frac in enumerate(train_info.get("clip_frac_per_mini_epoch", ())):
            w.add_scalar(f"diagnostics/clip_frac/{i}", frac, x)
        rms = getattr(
            self.model if self.central_value_net is None else self.central_value_net.model,
            "value_mean_std",
            None,
        )
        if rms is not None:
            w.add_scalar("diagnostics/rms_value/mean", float(rms.running_mean.mean()), x)
            w.add_scalar("diagnostics/rms_value/var", float(rms.running_var.mean()), x)
        adv = self.advantage_mean_std
        if adv is not None:
            w.add_scalar("diagnostics/rms_advantage/mean", float(adv.mean), x)
            w.add_scalar("diagnostics/rms_advantage/var", float(adv.var), x)
