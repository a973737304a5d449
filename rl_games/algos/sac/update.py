"""One SAC gradient update (critic, then actor + temperature every ``policy_frequency``, then
Polyak), and the loss statistics kept on device between print intervals."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import torch

from rl_games.algos.sac import losses as L
from rl_games.storage.replay import ReplayBatch

if TYPE_CHECKING:
    from rl_games.algos.sac.agent import SACAgent

CRITIC_KEYS = ("c1_loss", "c2_loss")
ACTOR_KEYS = ("a_loss", "alpha_loss", "entropy")


class UpdateStats:
    """Sums of the per-update losses as device tensors; read (one host sync) by ``means``."""

    def __init__(self, device: torch.device) -> None:
        self.critic = torch.zeros(len(CRITIC_KEYS), device=device)
        self.actor = torch.zeros(len(ACTOR_KEYS), device=device)
        self.n_critic = 0
        self.n_actor = 0

    def add_critic(self, values: torch.Tensor) -> None:
        self.critic.add_(values.detach().float())
        self.n_critic += 1

    def add_actor(self, values: torch.Tensor) -> None:
        self.actor.add_(values.detach().float())
        self.n_actor += 1

    def means(self) -> dict[str, float]:
        """Mean of each loss since the last call (keys absent when no update ran); resets."""
        out: dict[str, float] = {}
        if self.n_critic:
            out.update(zip(CRITIC_KEYS, (self.critic / self.n_critic).tolist(), strict=True))
        if self.n_actor:
            out.update(zip(ACTOR_KEYS, (self.actor / self.n_actor).tolist(), strict=True))
        self.critic.zero_()
        self.actor.zero_()
        self.n_critic = self.n_actor = 0
        return out


def _autocast(agent: SACAgent) -> contextlib.AbstractContextManager:
    if agent.use_bf16:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def critic_step(
    agent: SACAgent, b: ReplayBatch, obs: torch.Tensor, next_obs: torch.Tensor
) -> torch.Tensor:
    """Soft TD regression of both critics; returns ``[c1_loss, c2_loss]`` (detached)."""
    model = agent.model
    alpha = agent.log_alpha.detach().exp()
    with torch.no_grad(), _autocast(agent):
        mu, log_std = model.actor(next_obs)
        a_next, logp_next = L.sample_squashed(
            mu.float(), log_std.float(), agent.action_scale, agent.action_bias, agent.log_scale_sum
        )
        q1_t, q2_t = model.critic_target(next_obs, a_next)
    target = L.critic_target(
        b.rewards, b.terminated, agent.gamma, q1_t, q2_t, alpha, logp_next
    )  # float32
    with _autocast(agent):
        q1, q2 = model.critic(obs, b.actions)
    loss, c1, c2 = L.critic_losses(q1, q2, target)
    agent.critic_optimizer.zero_grad(set_to_none=True)
    loss.backward()
    agent.all_reduce_gradients(agent.critic_params)  # torchrun: mean over ranks
    if agent.critic_grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(agent.critic_params, agent.critic_grad_clip)
    agent.critic_optimizer.step()
    return torch.stack([c1.detach(), c2.detach()])


def actor_alpha_step(agent: SACAgent, obs: torch.Tensor) -> torch.Tensor:
    """Actor loss through the (not updated) critic, plus the temperature loss.

    One ``autograd.grad`` of their sum w.r.t. the actor parameters and ``log_alpha`` only: the
    critic gets no gradient. Returns ``[a_loss, alpha_loss, entropy]`` (detached),
    ``entropy = -mean(log pi)``.
    """
    model = agent.model
    with _autocast(agent):
        mu, log_std = model.actor(obs)
        a, logp = L.sample_squashed(
            mu.float(), log_std.float(), agent.action_scale, agent.action_bias, agent.log_scale_sum
        )
        q1, q2 = model.critic(obs, a)
    a_loss = L.actor_loss(agent.log_alpha.exp(), logp, q1, q2)
    params = agent.actor_params
    if agent.learnable_temperature:
        al_loss = L.alpha_loss(agent.log_alpha, logp, agent.target_entropy)
        grads = torch.autograd.grad(a_loss + al_loss, [*params, agent.log_alpha])
        agent.log_alpha.grad = grads[-1]
    else:
        al_loss = torch.zeros((), device=obs.device)
        grads = torch.autograd.grad(a_loss, params)
    for p, g in zip(params, grads, strict=False):
        p.grad = g
    temperature = [agent.log_alpha] if agent.learnable_temperature else []
    agent.all_reduce_gradients([*params, *temperature])  # torchrun: one all-reduce for both
    if agent.learnable_temperature:
        agent.log_alpha_optimizer.step()
    agent.actor_optimizer.step()
    return torch.stack([a_loss.detach(), al_loss.detach(), -logp.detach().mean()])


def sac_update(agent: SACAgent, update_actor: bool) -> None:
    """Sample a batch, step the critic, the actor/alpha (if ``update_actor``), then Polyak."""
    b = agent.replay.sample(agent.batch_size)
    obs, next_obs = agent.model.norm_obs(b.obs), agent.model.norm_obs(b.next_obs)
    agent.stats.add_critic(critic_step(agent, b, obs, next_obs))
    if update_actor:
        agent.stats.add_actor(actor_alpha_step(agent, obs))
    L.polyak_update_(agent.target_params, agent.critic_params, agent.critic_tau)
