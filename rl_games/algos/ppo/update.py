"""Turn a rollout into the training dataset and run the PPO minibatch updates.

:class:`UpdateMixin` holds the update hooks under rl_games' names: ``prepare_dataset``,
``train_central_value``, ``train_actor_critic`` (one minibatch: ``calc_gradients`` then
``self.train_result``), ``calc_gradients`` (``calc_losses`` + ``apply_gradients``), ``update_lr``.
The math lives in :mod:`rl_games.algos.ppo.losses` and :mod:`rl_games.algos.ppo.grads`.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch

from rl_games.algos import schedulers
from rl_games.algos.ppo import losses as L
from rl_games.algos.ppo.diagnostics import clip_fraction, explained_variance
from rl_games.algos.ppo.grads import MaskedMean, clip_grad_norm, rnn_reset_flags
from rl_games.storage.rollout import flatten_env_major
from rl_games.training import distributed as dist_utils


class UpdateMixin:
    """PPO's update verbs; the state they use is set up by ``PPOAgent.__init__``."""

    cfg: Any
    model: Any
    optimizer: Any
    dataset: Any
    central_value_net: Any

    # ------------------------------------------------------------------ dataset
    def _normalized_targets(
        self, values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``normalize_value``: the value normalizer (the central value's when there is one)
        updates with the values, then again with the returns (rl_games' order), and scales both."""
        if not self.cfg.normalize_value:
            return values, returns
        rms = self.value_mean_std
        rms.train(not self.cfg.freeze_critic)
        values = rms(values, mask=mask)
        returns = rms(returns, mask=mask)
        rms.eval()
        return values, returns

    def _normalized_advantages(self, adv: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        cfg = self.cfg
        if cfg.normalize_advantage and self.advantage_mean_std is not None:
            adv = self.advantage_mean_std(adv, mask)  # EMA statistics (normalize_rms_advantage)
            return adv if mask is None else adv * mask
        if cfg.normalize_advantage:
            return L.normalize_advantages(adv, mask)  # (A - mean) / (std + 1e-8) over valid rows
        return adv

    def prepare_dataset(self, batch_dict: dict[str, Any]) -> None:
        """Value and advantage normalization over the whole batch into ``self.dataset`` (and the
        central value's dataset). Advantages come from ``batch_dict['advantages']`` (GAE on the
        raw values; ``returns - values`` when a subclass' ``play_steps`` gives none), summed over
        value heads, taken before value normalization rescales R and V differently."""
        with torch.no_grad():
            values, returns = batch_dict["values"], batch_dict["returns"]
            adv = batch_dict.get("advantages")
            adv = (returns - values if adv is None else adv).sum(dim=-1)
            mask = batch_dict.get("valid") if self.next_step_reset else None
            values, returns = self._normalized_targets(values, returns, mask)
            adv = self._normalized_advantages(adv, mask)
            data: dict[str, Any] = {
                "obs": batch_dict["obses"],
                "actions": batch_dict["actions"],
                "old_logp_actions": batch_dict["neglogpacs"],
                "mu": batch_dict.get("mus"),
                "sigma": batch_dict.get("sigmas"),
                "action_masks": batch_dict.get("action_masks"),
                "old_values": values,
                "returns": returns,
                "advantages": adv,
                "rnn_masks": mask,  # rl_games' name for the valid-row loss mask
                "rnn_states": batch_dict.get("rnn_states"),
            }
            dones = self.experience_buffer["dones"]
            if self.is_rnn and self.cfg.zero_rnn_on_done:  # reset flags per training row
                data["dones"] = flatten_env_major(rnn_reset_flags(dones, self.next_step_reset))
            self.dataset.update_values_dict(data)
            if self.central_value_net is not None:
                self.central_value_net.update_dataset(values, returns, mask, dones)

    def train_central_value(self) -> dict[str, float]:
        """Train the central value on its dataset (before the actor, as rl_games); logs
        ``losses/cval_loss`` and ``info/cval_lr`` at the critic's frame."""
        cv = self.central_value_net
        if cv is None:
            return {}
        stats = cv.train_net()
        if not stats:
            return {}
        self.writer.add_scalar("losses/cval_loss", stats["cval_loss"], cv.frame)
        self.writer.add_scalar("info/cval_lr", stats["cval_lr"], cv.frame)
        return {"cval_loss": stats["cval_loss"]}

    # ------------------------------------------------------------------ one minibatch
    def calc_losses(self, input_dict: dict[str, Any]) -> tuple[torch.Tensor, dict[str, Any]]:
        """PPO loss of one minibatch: L = L_actor + 0.5 * critic_coef * L_critic - entropy_coef *
        H (+ bounds loss, + the network's aux losses); returns (loss, detached-able stats)."""
        cfg = self.cfg
        mask = input_dict.get("rnn_masks")
        mean = MaskedMean(mask)
        res = self.model.evaluate(self._evaluate_input(input_dict))
        old_logp = input_dict["old_logp_actions"]
        e_clip = self.e_clip
        a_loss = L.actor_loss(
            old_logp,
            res["prev_neglogp"],
            input_dict["advantages"],
            e_clip,
            ppo=self.ppo,
            smooth_clamp=cfg.use_smooth_clamp,
        )
        if self.has_value_loss:
            old_v, ret = input_dict["old_values"], input_dict["returns"]
            c_loss = L.critic_loss(old_v, res["values"], ret, e_clip, self.clip_value)
        else:  # central value without use_experimental_cv: the actor's value head is not trained
            c_loss = torch.zeros_like(res["values"]).detach()
        a_loss, c_loss, entropy = mean(a_loss), mean(c_loss), mean(res["entropy"])
        loss = a_loss + 0.5 * self.critic_coef * c_loss - self.entropy_coef * entropy
        out = {"a_loss": a_loss, "c_loss": c_loss, "entropy": entropy}
        for name, aux in (self.model.get_aux_loss() or {}).items():  # network losses, unweighted
            loss = loss + aux
            out[f"aux:{name}"] = aux
        if cfg.use_diagnostics:
            out["clip_frac"] = mean(
                clip_fraction(old_logp, res["prev_neglogp"].detach(), cfg.e_clip)
            )
        bounds = self._policy_drift(input_dict, res, mean, out)
        if bounds is not None:
            loss = loss + bounds
        return loss, out

    def _evaluate_input(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        inp = {
            "obs": input_dict["obs"],
            "prev_actions": input_dict["actions"],
            "mask": input_dict.get("rnn_masks"),
            "action_masks": input_dict.get("action_masks"),
        }
        if self.is_rnn:
            inp.update(
                rnn_states=tuple(input_dict["rnn_states"]),
                seq_length=self.seq_length,
                dones=input_dict.get("dones"),
            )
        return inp

    def _policy_drift(
        self, input_dict: dict[str, Any], res: dict[str, Any], mean: MaskedMean, out: dict
    ) -> torch.Tensor | None:
        """KL to the rollout policy into ``out['kl']``; continuous: the bounds loss (returned,
        weighted, when it is on) and the new mu/sigma (``out['new_mus']``/``out['new_sigmas']``)."""
        extra, coef = None, self.bounds_loss_coef
        if self.is_continuous:
            if coef is not None:  # logged whenever set, as rl_games (even at 0)
                b_loss = mean(self.bound_loss(res["mus"]))
                if coef:
                    extra = coef * b_loss
                out["bounds_loss"] = b_loss
            mus, sigmas = res["mus"].detach(), res["sigmas"].detach()
            with torch.no_grad():
                kl = L.gaussian_kl(input_dict["mu"], input_dict["sigma"], mus, sigmas)
            out["new_mus"], out["new_sigmas"] = mus, sigmas
        else:
            old_logp = input_dict["old_logp_actions"]
            kl = L.categorical_kl_approx(old_logp, res["prev_neglogp"].detach())
        out["kl"] = mean(kl)
        return extra

    def bound_loss(self, mu: torch.Tensor) -> torch.Tensor:
        """rl_games' hook: the per-row penalty on means outside [-1, 1]
        (:func:`rl_games.algos.ppo.losses.bounds_loss`, ``bound_loss_type``)."""
        return L.bounds_loss(mu, self.bound_loss_type)

    def apply_gradients(self, loss: torch.Tensor, info: dict[str, Any]) -> None:
        """Backward, average over ranks, clip (``truncate_grads``: ``info['grad_norm']``), step."""
        for p in self._opt_params:  # optimizer.zero_grad(set_to_none=True) minus its profiler hook
            p.grad = None
        loss.backward()
        self.reduce_gradients()
        if self.cfg.truncate_grads:  # its mean is read with the losses: nan/inf stop the run
            info["grad_norm"] = clip_grad_norm(self._grad_params, self.cfg.grad_norm)
        self.optimizer.step()

    def calc_gradients(self, input_dict: dict[str, Any]) -> None:
        """One optimizer step on one minibatch; its stats go to ``self.train_result``."""
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_bf16)
        with autocast if self.use_bf16 else contextlib.nullcontext():
            loss, info = self.calc_losses(input_dict)
        self.apply_gradients(loss, info)
        self.train_result = info

    def train_actor_critic(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        """rl_games' name: :meth:`calc_gradients`, then its ``train_result``."""
        self.calc_gradients(input_dict)
        return self.train_result

    # ------------------------------------------------------------------ one epoch
    def train_mini_epochs(self) -> dict[str, Any]:
        """``mini_epochs`` passes over ``self.dataset`` (contiguous minibatches, rl_games order,
        no shuffling); returns the epoch's loss means, KL (and diagnostics)."""
        cfg, continuous = self.cfg, self.is_continuous
        keys: list[str] = []
        sums: torch.Tensor | None = None  # per-key running sums, one vector add per minibatch
        count, kls, clip_fracs = 0, [], []
        self._grad_params = list(self.model.parameters())  # walked once per epoch
        self._opt_params = [p for group in self.optimizer.param_groups for p in group["params"]]
        for _ in range(cfg.mini_epochs):
            epoch_kl, epoch_clip = [], []
            for i in range(len(self.dataset)):
                out = self.train_actor_critic(self.dataset[i])
                if continuous:  # KL of later mini-epochs is measured against this policy
                    self.dataset.update_mu_sigma(out.pop("new_mus"), out.pop("new_sigmas"))
                epoch_kl.append(out["kl"])
                if "clip_frac" in out:
                    epoch_clip.append(out.pop("clip_frac"))
                if continuous and cfg.schedule_type in ("legacy", "per_minibatch"):
                    self.schedule_lr(out["kl"])
                keys = keys or list(out)
                step = torch.stack([out[k].detach().float() for k in keys])
                sums = step if sums is None else sums + step
                count += 1
            mean_kl = torch.stack(epoch_kl).mean()
            kls.append(mean_kl)
            if epoch_clip:
                clip_fracs.append(torch.stack(epoch_clip).mean())
            if not continuous or cfg.schedule_type == "standard":
                self.schedule_lr(mean_kl)
        stats = dict(zip(keys, (v / count for v in sums.tolist()), strict=True)) if count else {}
        stats["kl"] = float(torch.stack(kls).mean())
        if cfg.use_diagnostics:
            d = self.dataset.values_dict
            stats["clip_frac_per_mini_epoch"] = torch.stack(clip_fracs).tolist()
            ev = explained_variance(d["old_values"], d["returns"], d.get("rnn_masks"))
            stats["exp_var"] = float(ev)
        return stats

    def reduce_gradients(self) -> None:
        """Average gradients over ranks (torchrun); a no-op for a single process."""
        self.all_reduce_gradients(self.model.parameters())

    def schedule_lr(self, kl: torch.Tensor) -> None:
        """Scheduler step for ``kl``; across ranks: mean KL, rank 0's lr/entropy_coef broadcast."""
        synced = self.world_size > 1 and type(self.scheduler) is not schedulers.IdentityScheduler
        if synced:
            kl = dist_utils.all_reduce_mean(kl, self.world_size)
        lr, ent = self.scheduler.update(
            self.last_lr, self.entropy_coef, self.epoch_num, self.frame, kl
        )
        if synced:
            lr, ent = dist_utils.broadcast_floats([lr, ent])
        if lr != self.last_lr:
            self._set_lr(lr)
        self.last_lr, self.entropy_coef = lr, ent

    def _set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def update_lr(self, lr: float) -> None:
        """rl_games' hook: use learning rate ``lr`` from now on (``self.last_lr`` and the
        optimizer); across ranks rank 0's ``lr`` and ``entropy_coef`` win. Research code calls
        it after its own ``self.scheduler.update(...)``."""
        if self.world_size > 1:
            lr, self.entropy_coef = dist_utils.broadcast_floats([lr, self.entropy_coef])
        self._set_lr(lr)
        self.last_lr = lr
