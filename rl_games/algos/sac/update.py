"""SAC's gradient update as methods of the agent (rl_games' names): ``update`` samples a batch and
calls ``update_critic``, then ``update_actor_and_alpha`` every ``policy_frequency`` updates, then
``soft_update_params`` (Polyak). The math is in :mod:`rl_games.algos.sac.losses`; the loss
statistics stay on the device between print intervals (:class:`UpdateStats`)."""

from __future__ import annotations

import contextlib
import weakref
from typing import TYPE_CHECKING

import torch

from rl_games.algos.sac import losses as L

if TYPE_CHECKING:
    from rl_games.networks.sac import SACModel
    from rl_games.storage.replay import ReplayBuffer

CRITIC_KEYS = ("c1_loss", "c2_loss")
ACTOR_KEYS = ("a_loss", "alpha_loss", "entropy")

_PARAMS: weakref.WeakKeyDictionary[torch.nn.Module, list[torch.nn.Parameter]]
_PARAMS = weakref.WeakKeyDictionary()


def module_params(net: torch.nn.Module) -> list[torch.nn.Parameter]:
    """``list(net.parameters())``, built once per module (the Polyak update runs after every
    gradient update; loading a state dict keeps the same parameter objects)."""
    params = _PARAMS.get(net)
    if params is None:
        params = _PARAMS[net] = list(net.parameters())
    return params


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


class SACUpdateMixin:
    """The update verbs of :class:`rl_games.algos.sac.agent.SACAgent` (which sets this state)."""

    model: SACModel
    replay_buffer: ReplayBuffer
    stats: UpdateStats
    log_alpha: torch.Tensor
    action_scale: torch.Tensor
    action_bias: torch.Tensor
    log_scale_sum: torch.Tensor
    actor_optimizer: torch.optim.Optimizer
    critic_optimizer: torch.optim.Optimizer
    log_alpha_optimizer: torch.optim.Optimizer
    actor_params: list[torch.nn.Parameter]
    critic_params: list[torch.nn.Parameter]
    gamma: float
    critic_tau: float
    critic_grad_clip: float
    batch_size: int
    policy_frequency: int
    learnable_temperature: bool
    target_entropy: float
    use_bf16: bool
    num_updates: int

    if TYPE_CHECKING:  # provided by ReplicaMixin (a stub here would shadow it)

        def all_reduce_gradients(self, params: list[torch.Tensor]) -> None: ...

    @property
    def alpha(self) -> torch.Tensor:
        """The temperature ``exp(log_alpha)`` (with its graph: detach to read it)."""
        return self.log_alpha.exp()

    @property
    def update_counter(self) -> int:
        """rl_games' name of the gradient updates done so far."""
        return self.num_updates

    def amp_context(self) -> contextlib.AbstractContextManager:
        """bfloat16 autocast with ``mixed_precision`` on CUDA, else nothing."""
        if self.use_bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def sample_policy(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a_env, log pi(a_env | s))`` for (normalized) ``obs``, reparameterized."""
        mu, log_std = self.model.actor(obs)
        return L.sample_squashed(
            mu.float(), log_std.float(), self.action_scale, self.action_bias, self.log_scale_sum
        )

    def update_critic(
        self,
        obs: torch.Tensor,
        action: torch.Tensor,
        reward: torch.Tensor,
        next_obs: torch.Tensor,
        not_done: torch.Tensor,
        step: int,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step of soft TD regression of both critics (``losses.critic_target`` and
        ``losses.critic_losses``); returns ``(critic_loss, c1_loss, c2_loss)``, detached."""
        model = self.model
        alpha = self.log_alpha.detach().exp()
        with torch.no_grad(), self.amp_context():
            a_next, logp_next = self.sample_policy(next_obs)
            q1_t, q2_t = model.critic_target(next_obs, a_next)
        # y = r + not_done * gamma * (min(Q1', Q2') - alpha * log pi(a'|s')), float32
        target = L.critic_target(reward, not_done, self.gamma, q1_t, q2_t, alpha, logp_next)
        with self.amp_context():
            q1, q2 = model.critic(obs, action)
        loss, c1, c2 = L.critic_losses(q1, q2, target)
        self.critic_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.all_reduce_gradients(self.critic_params)  # torchrun: mean over ranks
        if self.critic_grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.critic_params, self.critic_grad_clip)
        self.critic_optimizer.step()
        return loss.detach(), c1.detach(), c2.detach()

    def update_actor_and_alpha(
        self, obs: torch.Tensor, step: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Actor loss through the (not updated) critic, plus the temperature loss.

        One ``autograd.grad`` of their sum w.r.t. the actor parameters and ``log_alpha`` only:
        the critic gets no gradient. Returns ``(actor_loss, entropy, alpha, alpha_loss)``
        detached (rl_games' order), ``entropy = -mean(log pi)``; ``alpha_loss`` is 0 with a
        fixed temperature.
        """
        with self.amp_context():
            a, logp = self.sample_policy(obs)
            q1, q2 = self.model.critic(obs, a)
        # a_loss = mean(max(alpha, 0.01) * log pi - min(Q1, Q2))
        a_loss = L.actor_loss(self.log_alpha.exp(), logp, q1, q2)
        params = self.actor_params
        if self.learnable_temperature:
            # alpha_loss = mean(alpha * (-log pi - target_entropy))
            al_loss = L.alpha_loss(self.log_alpha, logp, self.target_entropy)
            grads = torch.autograd.grad(a_loss + al_loss, [*params, self.log_alpha])
            self.log_alpha.grad = grads[-1]
        else:
            al_loss = torch.zeros((), device=obs.device)
            grads = torch.autograd.grad(a_loss, params)
        for p, g in zip(params, grads, strict=False):
            p.grad = g
        temperature = [self.log_alpha] if self.learnable_temperature else []
        self.all_reduce_gradients([*params, *temperature])  # torchrun: one all-reduce for both
        if self.learnable_temperature:
            self.log_alpha_optimizer.step()
        self.actor_optimizer.step()
        alpha = self.log_alpha.detach().exp()
        return a_loss.detach(), -logp.detach().mean(), alpha, al_loss.detach()

    def soft_update_params(
        self, net: torch.nn.Module, target_net: torch.nn.Module, tau: float
    ) -> None:
        """Polyak averaging ``theta' <- theta' + tau * (theta - theta')`` of ``target_net``."""
        L.polyak_update_(module_params(target_net), module_params(net), tau)

    def update_target_weights(self) -> None:
        """The target critics follow the critics at rate ``critic_tau``."""
        self.soft_update_params(self.model.critic, self.model.critic_target, self.critic_tau)

    def update(self, step: int) -> None:
        """One gradient update: sample ``batch_size`` transitions, step the critic, the actor and
        temperature every ``policy_frequency`` updates, then the targets. The losses are summed
        on the device into ``self.stats`` (no host sync)."""
        b = self.replay_buffer.sample(self.batch_size)
        obs, next_obs = self.model.norm_obs(b.obs), self.model.norm_obs(b.next_obs)
        not_done = 1.0 - b.terminated  # time-outs are stored as not terminated: they bootstrap
        _, c1, c2 = self.update_critic(obs, b.actions, b.rewards, next_obs, not_done, step)
        self.stats.add_critic(torch.stack([c1, c2]))
        self.num_updates += 1
        if self.num_updates % self.policy_frequency == 0:
            a_loss, entropy, _, al_loss = self.update_actor_and_alpha(obs, step)
            self.stats.add_actor(torch.stack([a_loss, al_loss, entropy]))
        self.update_target_weights()
