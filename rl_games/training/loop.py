"""The training loop PPO and SAC share: one template, the algorithm fills in its hooks.

::

    train()
      limits_reached()? -> None              a finished run writes no new run directory
      setup_run_dir(); broadcast_replicas()
      start_training()                       hook: env reset, resume carry-over
      observers.after_clear_stats()
      while no stop reason:
        run_epoch() -> stop reason or None   hook: one epoch, its statistics and checkpoints
      (signals: the first stops after the epoch, a second at once; the final save is protected)
      finish_training(reason)                hook: last statistics, best / last checkpoints
      writer.close()
      -> final_mean_reward
"""

from __future__ import annotations

import time

from rl_games.training.stop import TerminateOnSignal


class TrainLoop:
    """Mixin of :class:`rl_games.training.base.TrainerBase` holding the loop; ``run_epoch`` and
    the start / finish hooks are the algorithm's."""

    #: the mean reward of the last finished games, returned by ``train()``
    final_mean_reward: float | None = None

    def train(self) -> float | None:
        """Train until a stop condition; returns the final mean reward."""
        if self.limits_reached():
            return None
        self.setup_run_dir()
        self.broadcast_replicas()  # torchrun: rank 0's weights everywhere (after any restore)
        self.start_training()
        self.hooks.after_clear_stats()
        self.start_time = time.perf_counter()
        reason = None
        with TerminateOnSignal(self) as signals:
            try:
                while reason is None:
                    reason = self.run_epoch()
                signals.protect()  # the final checkpoint is written whatever signals follow
            except KeyboardInterrupt:
                signals.protect()
                reason = self.abandon_epoch(reason)
            self.finish_training(reason)
            signals.saved()
            self.writer.close()
        return self.final_mean_reward

    def start_training(self) -> None:
        """Hook: reset the envs and take over a resumed run's carried state."""
        raise NotImplementedError

    def run_epoch(self) -> str | None:
        """Hook: one epoch with its statistics and checkpoints; the reason to stop, or None."""
        raise NotImplementedError

    def finish_training(self, reason: str) -> None:
        """Hook: the end of a run (last statistics, best and last checkpoints)."""
        raise NotImplementedError
