"""Turn a rollout into a training batch and run the PPO minibatch updates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from rl_games.algos.ppo import losses as L
from rl_games.common.gae import compute_gae
from rl_games.storage.rollout import flatten_env_major

if TYPE_CHECKING:
    from rl_games.algos.ppo.agent import PPOAgent


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
        batch = {k: s.flat(k) for k in ("obs", "actions", "neglogpacs", *agent.extra_fields)}
        values, returns = flatten_env_major(s["values"]), flatten_env_major(returns)
        mask = s.flat("valid") if agent.next_step_reset else None
        model = agent.model
        if cfg.normalize_value:
            rms = model.value_mean_std
            rms.train(not cfg.freeze_critic)
            values = rms(values, mask=mask)  # updates with values, then normalizes
            returns = rms(returns, mask=mask)  # updates again with returns (rl_games order)
            rms.eval()
        adv = (returns - values).sum(dim=-1)  # advantages summed over value heads
        if cfg.normalize_advantage:
            adv = L.normalize_advantages(adv, mask)
        batch.update(old_values=values, returns=returns, advantages=adv)
        if mask is not None:
            batch["mask"] = mask
    return batch


def minibatch_loss(agent: PPOAgent, mb: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
    cfg = agent.cfg
    mask = mb.get("mask")
    res = agent.model.evaluate({"obs": mb["obs"], "prev_actions": mb["actions"], "mask": mask})
    a_loss = L.actor_loss(
        mb["neglogpacs"],
        res["prev_neglogp"],
        mb["advantages"],
        cfg.e_clip,
        ppo=cfg.ppo,
        smooth_clamp=cfg.use_smooth_clamp,
    )
    c_loss = L.critic_loss(
        mb["old_values"], res["values"], mb["returns"], cfg.e_clip, cfg.clip_value
    )
    a_loss, c_loss = L.masked_mean(a_loss, mask), L.masked_mean(c_loss, mask)
    entropy = L.masked_mean(res["entropy"], mask)
    loss = a_loss + 0.5 * cfg.critic_coef * c_loss - agent.entropy_coef * entropy
    out = {"a_loss": a_loss, "c_loss": c_loss, "entropy": entropy}
    if agent.is_continuous:
        if cfg.bounds_loss_coef:
            b_loss = L.masked_mean(L.bounds_loss(res["mus"], cfg.bound_loss_type), mask)
            loss = loss + cfg.bounds_loss_coef * b_loss
            out["bounds_loss"] = b_loss
        with torch.no_grad():
            kl = L.gaussian_kl(mb["mus"], mb["sigmas"], res["mus"].detach(), res["sigmas"].detach())
        out["new_mus"], out["new_sigmas"] = res["mus"].detach(), res["sigmas"].detach()
    else:
        kl = L.categorical_kl_approx(mb["neglogpacs"], res["prev_neglogp"].detach())
    out["kl"] = L.masked_mean(kl, mask)
    return loss, out


def train_epoch_updates(agent: PPOAgent, batch: dict[str, torch.Tensor]) -> dict[str, float]:
    """``mini_epochs`` passes of contiguous minibatches (rl_games order, no shuffling)."""
    cfg = agent.cfg
    n, mb_size = batch["advantages"].shape[0], agent.minibatch_size
    sums: dict[str, torch.Tensor] = {}
    count, kls = 0, []
    agent.model.train()
    for _ in range(cfg.mini_epochs):
        epoch_kl = []
        for start in range(0, n, mb_size):
            mb = {k: v[start : start + mb_size] for k, v in batch.items()}
            with torch.autocast(agent.device.type, dtype=torch.bfloat16, enabled=agent.use_bf16):
                loss, out = minibatch_loss(agent, mb)
            agent.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            agent.reduce_gradients()
            if cfg.truncate_grads:
                torch.nn.utils.clip_grad_norm_(agent.model.parameters(), cfg.grad_norm)
            agent.optimizer.step()
            if agent.is_continuous:  # KL of later mini-epochs is measured against this policy
                batch["mus"][start : start + mb_size] = out.pop("new_mus")
                batch["sigmas"][start : start + mb_size] = out.pop("new_sigmas")
            epoch_kl.append(out["kl"])
            if agent.is_continuous and cfg.schedule_type in ("legacy", "per_minibatch"):
                agent.update_lr(out["kl"])
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + v.detach().float()
            count += 1
        mean_kl = torch.stack(epoch_kl).mean()
        kls.append(mean_kl)
        if not agent.is_continuous or cfg.schedule_type == "standard":
            agent.update_lr(mean_kl)
    stats = {k: float(v) / count for k, v in sums.items()}
    stats["kl"] = float(torch.stack(kls).mean())
    return stats
