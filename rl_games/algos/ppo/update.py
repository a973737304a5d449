"""Turn a rollout into a training batch and run the PPO minibatch updates."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import torch

from rl_games.algos.ppo import losses as L
from rl_games.algos.ppo.diagnostics import clip_fraction, explained_variance
from rl_games.common.gae import compute_gae
from rl_games.storage.rollout import flatten_env_major

if TYPE_CHECKING:
    from rl_games.algos.ppo.agent import PPOAgent


def rnn_reset_flags(dones: torch.Tensor, next_step: bool) -> torch.Tensor:
    """Time-major ``[T, N]`` flags: zero the RNN state before row t (rollout order). ``dones[t]``
    (obs t starts an episode); under next-step autoreset also the row after a reset row."""
    if not next_step:
        return dones
    flags = dones.clone()
    flags[1:] = torch.maximum(dones[1:], dones[:-1])
    return flags


def rnn_batch(agent: PPOAgent) -> dict[str, torch.Tensor]:
    """Per-sequence initial states ``[S, layers, seqs, units]`` and (``zero_rnn_on_done``) the
    per-row reset flags for training sequences."""
    s = agent.storage
    out = {"rnn_states": s.flat_rnn_states()}
    if agent.cfg.zero_rnn_on_done:
        out["rnn_dones"] = flatten_env_major(rnn_reset_flags(s["dones"], agent.next_step_reset))
    return out


def prepare_batch(agent: PPOAgent) -> dict[str, torch.Tensor]:
    """GAE, value normalization and advantage normalization over the whole batch (env-major)."""
    s, cfg = agent.storage, agent.cfg
    with torch.no_grad():
        adv = compute_gae(
            s["rewards"],
            s["values"],
            s["dones"],
            agent.last_values,
            agent.dones,
            cfg.gamma,
            cfg.tau,
        )
        returns = adv + s["values"]
        keys = ("obs", "actions", "neglogpacs", *agent.extra_fields)
        batch = {k: s.flat(k) for k in keys + (("action_masks",) if "action_masks" in s else ())}
        values, returns = flatten_env_major(s["values"]), flatten_env_major(returns)
        # advantages from the raw (de-normalized) values: A = R - V summed over value heads,
        # taken before value normalization rescales R and V with different statistics
        adv = flatten_env_major(adv).sum(dim=-1)
        mask = s.flat("valid") if agent.next_step_reset else None
        model = agent.model
        if cfg.normalize_value:  # a central value's normalizer is the one for returns
            cv = agent.central_value_net
            rms = (model if cv is None else cv.model).value_mean_std
            rms.train(not cfg.freeze_critic)
            values = rms(values, mask=mask)  # updates with values, then normalizes
            returns = rms(returns, mask=mask)  # updates again with returns (rl_games order)
            rms.eval()
        if cfg.normalize_advantage and agent.advantage_mean_std is not None:
            adv = agent.advantage_mean_std(adv, mask)  # EMA statistics (normalize_rms_advantage)
            adv = adv if mask is None else adv * mask
        elif cfg.normalize_advantage:
            adv = L.normalize_advantages(adv, mask)
        batch.update(old_values=values, returns=returns, advantages=adv)
        if mask is not None:
            batch["mask"] = mask
        if agent.is_rnn:
            batch.update(rnn_batch(agent))
    return batch


class MaskedMean:
    """``losses.masked_mean`` over one minibatch's mask, with the mask cast and its valid-row
    count computed once per dtype for the per-row (1-D) losses. Same ops, same values."""

    def __init__(self, mask: torch.Tensor | None) -> None:
        self.mask = mask
        self._by_dtype: dict[torch.dtype, tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.mask is None or x.dim() != 1:
            return L.masked_mean(x, self.mask)
        cached = self._by_dtype.get(x.dtype)
        if cached is None:
            m = self.mask.to(dtype=x.dtype)
            cached = self._by_dtype[x.dtype] = (m, m.sum().clamp(min=1.0))
        m, count = cached
        return (x * m).sum() / count


def minibatch_loss(agent: PPOAgent, mb: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
    cfg = agent.cfg
    mask = mb.get("mask")
    mean = MaskedMean(mask)
    inp = {
        "obs": mb["obs"],
        "prev_actions": mb["actions"],
        "mask": mask,
        "action_masks": mb.get("action_masks"),
    }
    if agent.is_rnn:
        inp.update(
            rnn_states=tuple(mb["rnn_states"]),
            seq_length=agent.seq_length,
            dones=mb.get("rnn_dones"),
        )
    res = agent.model.evaluate(inp)
    a_loss = L.actor_loss(
        mb["neglogpacs"],
        res["prev_neglogp"],
        mb["advantages"],
        cfg.e_clip,
        ppo=cfg.ppo,
        smooth_clamp=cfg.use_smooth_clamp,
    )
    if agent.has_value_loss:
        c_loss = L.critic_loss(
            mb["old_values"], res["values"], mb["returns"], cfg.e_clip, cfg.clip_value
        )
    else:  # central value without use_experimental_cv: the actor's value head is not trained
        c_loss = torch.zeros_like(res["values"]).detach()
    a_loss, c_loss, entropy = mean(a_loss), mean(c_loss), mean(res["entropy"])
    loss = a_loss + 0.5 * cfg.critic_coef * c_loss - agent.entropy_coef * entropy
    out = {"a_loss": a_loss, "c_loss": c_loss, "entropy": entropy}
    for name, aux in (agent.model.get_aux_loss() or {}).items():  # network losses, unweighted
        loss = loss + aux
        out[f"aux:{name}"] = aux
    if cfg.use_diagnostics:
        out["clip_frac"] = mean(
            clip_fraction(mb["neglogpacs"], res["prev_neglogp"].detach(), cfg.e_clip)
        )
    if agent.is_continuous:
        if cfg.bounds_loss_coef is not None:  # logged whenever set, as rl_games (even at 0)
            b_loss = mean(L.bounds_loss(res["mus"], cfg.bound_loss_type))
            if cfg.bounds_loss_coef:
                loss = loss + cfg.bounds_loss_coef * b_loss
            out["bounds_loss"] = b_loss
        with torch.no_grad():
            kl = L.gaussian_kl(mb["mus"], mb["sigmas"], res["mus"].detach(), res["sigmas"].detach())
        out["new_mus"], out["new_sigmas"] = res["mus"].detach(), res["sigmas"].detach()
    else:
        kl = L.categorical_kl_approx(mb["neglogpacs"], res["prev_neglogp"].detach())
    out["kl"] = mean(kl)
    return loss, out


@torch.no_grad()
def clip_grad_norm(params: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """``torch.nn.utils.clip_grad_norm_(params, max_norm)`` (L2) without its per-call regrouping.

    When every gradient is a dense CPU/CUDA tensor of one device and dtype it runs the same ops
    in the same order (per-tensor ``_foreach_norm``, the norm of the stacked norms, a scale of
    ``min(max_norm / (norm + 1e-6), 1)`` applied with ``_foreach_mul_``); otherwise it calls torch.
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros((), device=params[0].device if params else None)
    g0 = grads[0]
    if g0.device.type not in ("cpu", "cuda") or any(
        g.device != g0.device or g.dtype != g0.dtype or g.layout != torch.strided for g in grads
    ):
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2.0)), 2.0)
    torch._foreach_mul_(grads, torch.clamp(float(max_norm) / (total + 1e-6), max=1.0))
    return total


def training_stats(stats: dict[str, Any]) -> dict[str, float]:
    """The epoch's loss means, KL and gradient norm (what the divergence check reads)."""
    return {k: v for k, v in stats.items() if isinstance(v, float) and not k.endswith("_time")}


def _rows(v: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a batch entry (a tensor, or a dict of tensors for dict obs)."""
    if isinstance(v, dict):
        return {k: x[start:stop] for k, x in v.items()}
    return v[start:stop]


def train_epoch_updates(agent: PPOAgent, batch: dict[str, torch.Tensor]) -> dict[str, float]:
    """``mini_epochs`` passes of contiguous minibatches (rl_games order, no shuffling)."""
    cfg = agent.cfg
    n, mb_size = batch["advantages"].shape[0], agent.minibatch_size
    keys: list[str] = []
    sums: torch.Tensor | None = None  # per-key running sums, one vector add per minibatch
    count, kls, clip_fracs = 0, [], []
    agent.model.train()
    params = list(agent.model.parameters())  # walked once per epoch, not per minibatch
    opt_params = [p for group in agent.optimizer.param_groups for p in group["params"]]
    autocast = torch.autocast(agent.device.type, dtype=torch.bfloat16, enabled=agent.use_bf16)
    rows = {k: v for k, v in batch.items() if k != "rnn_states"}
    states, seq_len = batch.get("rnn_states"), agent.seq_length if agent.is_rnn else 1
    for _ in range(cfg.mini_epochs):
        epoch_kl, epoch_clip = [], []
        for start in range(0, n, mb_size):
            mb = {k: _rows(v, start, start + mb_size) for k, v in rows.items()}
            if states is not None:  # whole sequences: rows start.. are seqs start // seq_len..
                mb["rnn_states"] = states[:, :, start // seq_len : (start + mb_size) // seq_len]
            with autocast if agent.use_bf16 else contextlib.nullcontext():
                loss, out = minibatch_loss(agent, mb)
            for p in opt_params:  # optimizer.zero_grad(set_to_none=True) minus its profiler hook
                p.grad = None
            loss.backward()
            agent.reduce_gradients()
            if cfg.truncate_grads:  # its mean is read with the losses: nan/inf stop the run
                out["grad_norm"] = clip_grad_norm(params, cfg.grad_norm)
            agent.optimizer.step()
            if agent.is_continuous:  # KL of later mini-epochs is measured against this policy
                batch["mus"][start : start + mb_size] = out.pop("new_mus")
                batch["sigmas"][start : start + mb_size] = out.pop("new_sigmas")
            epoch_kl.append(out["kl"])
            if "clip_frac" in out:
                epoch_clip.append(out.pop("clip_frac"))
            if agent.is_continuous and cfg.schedule_type in ("legacy", "per_minibatch"):
                agent.update_lr(out["kl"])
            keys = keys or list(out)
            step = torch.stack([out[k].detach().float() for k in keys])
            sums = step if sums is None else sums + step
            count += 1
        mean_kl = torch.stack(epoch_kl).mean()
        kls.append(mean_kl)
        if epoch_clip:
            clip_fracs.append(torch.stack(epoch_clip).mean())
        if not agent.is_continuous or cfg.schedule_type == "standard":
            agent.update_lr(mean_kl)
    stats = dict(zip(keys, (v / count for v in sums.tolist()), strict=True)) if count else {}
    stats["kl"] = float(torch.stack(kls).mean())
    if cfg.use_diagnostics:
        stats["clip_frac_per_mini_epoch"] = torch.stack(clip_fracs).tolist()
        ev = explained_variance(batch["old_values"], batch["returns"], batch.get("mask"))
        stats["exp_var"] = float(ev)
    return stats
