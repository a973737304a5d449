"""Model wrappers (rl_games' ``model`` names): normalizers + distribution around a raw network.

``Model(network_builder).build(config)`` returns an ``nn.Module`` whose state_dict names match
rl_games: ``a2c_network.*``, ``running_mean_std.*``, ``value_mean_std.*``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from rl_games.networks import distributions as D
from rl_games.networks.normalization import RunningMeanStd, RunningMeanStdObs


class A2CModelNetwork(nn.Module):
    """Shared parts: obs/value normalization and the rl_games ``forward(input_dict)`` contract."""

    kind = "base"

    def __init__(
        self,
        a2c_network: nn.Module,
        obs_shape: Any = None,
        normalize_value: bool = False,
        normalize_input: bool = False,
        value_size: int = 1,
        **kwargs: Any,
    ) -> None:
        """rl_games' ``Network(a2c_network, obs_shape=, normalize_value=, normalize_input=,
        value_size=)`` (what ``BaseModel.build`` passes and model subclasses forward)."""
        super().__init__()
        self.obs_shape = obs_shape
        self.normalize_value = bool(normalize_value)
        self.normalize_input = bool(normalize_input)
        self.value_size = int(value_size)
        if self.normalize_value:
            self.value_mean_std = RunningMeanStd((self.value_size,))
        if self.normalize_input:
            if isinstance(obs_shape, dict):  # dict observations: one normalizer per key
                shapes = {k: tuple(v) for k, v in obs_shape.items()}
                self.running_mean_std = RunningMeanStdObs(shapes)
            else:
                self.running_mean_std = RunningMeanStd(tuple(obs_shape))
        self.a2c_network = a2c_network

    def get_value_layer(self) -> nn.Module | None:
        fn = getattr(self.a2c_network, "get_value_layer", None)
        return fn() if callable(fn) else None

    def is_rnn(self) -> bool:
        return self.a2c_network.is_rnn()

    def get_default_rnn_state(self) -> Any:
        return self.a2c_network.get_default_rnn_state()

    def get_aux_loss(self) -> dict[str, torch.Tensor] | None:
        """The network's auxiliary losses of its last forward (``{name: scalar}``), if any."""
        fn = getattr(self.a2c_network, "get_aux_loss", None)
        return fn() if callable(fn) else None

    def norm_obs(self, obs: Any, mask: torch.Tensor | None = None) -> Any:
        """Normalizes (and, in train mode, updates statistics from) the observation batch.

        uint8 becomes float / 255; dict observations are handled per key.
        """
        if isinstance(obs, dict):
            obs = {
                k: v.float().div_(255.0) if v.dtype == torch.uint8 else v for k, v in obs.items()
            }
        elif obs.dtype == torch.uint8:
            obs = obs.float().div_(255.0)
        if not self.normalize_input:
            return obs
        with torch.no_grad():
            return self.running_mean_std(obs, mask=mask)

    def denorm_value(self, value: torch.Tensor) -> torch.Tensor:
        if not self.normalize_value:
            return value
        with torch.no_grad():
            return self.value_mean_std(value, denorm=True)

    def forward(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        if input_dict.get("is_train", False):
            return self.evaluate(input_dict)
        return self.act(input_dict)

    # implemented per action kind
    def act(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def evaluate(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class ContinuousLogStdNetwork(A2CModelNetwork):
    """Gaussian policy; the network's raw sigma output becomes the std through
    ``space.continuous.sigma_parametrization`` (default ``exp``: the output is the log-std)."""

    kind = "continuous"

    def __init__(self, a2c_network: nn.Module, **kwargs: Any) -> None:
        super().__init__(a2c_network, **kwargs)
        # network.space.continuous of the built-in builders; a user network gets plain exp
        space = getattr(getattr(a2c_network, "cfg", None), "space", None)
        c = getattr(space, "continuous", None)
        self.sigma_parametrization = str(getattr(c, "sigma_parametrization", "exp"))
        self.min_sigma = float(getattr(c, "min_sigma", 0.0))
        bounds = getattr(c, "logstd_bounds", None)
        self.logstd_bounds = None if bounds is None else (float(bounds[0]), float(bounds[1]))

    def _dist(self, obs_dict: dict[str, Any]) -> tuple:
        mu, raw_sigma, value, states = self.a2c_network(obs_dict)
        sigma, logstd = D.sigma_from_raw(
            raw_sigma, self.sigma_parametrization, self.min_sigma, self.logstd_bounds
        )
        return mu, sigma, logstd, value, states

    def act(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        obs = self.norm_obs(input_dict["obs"])
        mu, sigma, logstd, value, states = self._dist({**input_dict, "obs": obs})
        if input_dict.get("deterministic", False):
            actions = mu
        else:
            actions = D.gaussian_sample(mu, sigma)
        return {
            "actions": actions,
            "neglogpacs": D.gaussian_neglogp(actions, mu, sigma, logstd),
            "values": self.denorm_value(value),
            "mus": mu,
            "sigmas": sigma,
            "rnn_states": states,
        }

    def evaluate(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        obs = self.norm_obs(input_dict["obs"], input_dict.get("mask"))
        mu, sigma, logstd, value, states = self._dist({**input_dict, "obs": obs})
        return {
            "prev_neglogp": D.gaussian_neglogp(input_dict["prev_actions"], mu, sigma, logstd),
            "values": value,
            "entropy": D.gaussian_entropy(logstd),
            "mus": mu,
            "sigmas": sigma,
            "rnn_states": states,
        }


class ContinuousNetwork(ContinuousLogStdNetwork):
    """``continuous_a2c``: the network's sigma output is the std itself (kept positive here)."""

    def _dist(self, obs_dict: dict[str, Any]) -> tuple:
        mu, sigma, value, states = self.a2c_network(obs_dict)
        # rl_games' continuous_a2c expects a positive sigma (e.g. sigma_activation: softplus)
        return mu, sigma, torch.log(sigma), value, states


class DiscreteNetwork(A2CModelNetwork):
    """Categorical policy over ``Discrete(n)`` with optional action masks."""

    kind = "discrete"

    def act(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        obs = self.norm_obs(input_dict["obs"])
        logits, value, states = self.a2c_network({**input_dict, "obs": obs})
        logits = D.apply_mask(logits, input_dict.get("action_masks"))
        if input_dict.get("deterministic", False):
            actions = torch.argmax(logits, dim=-1)
        else:
            actions = D.categorical_sample(logits)
        return {
            "actions": actions,
            "neglogpacs": D.categorical_neglogp(logits, actions),
            "values": self.denorm_value(value),
            "logits": logits,
            "rnn_states": states,
        }

    def evaluate(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        obs = self.norm_obs(input_dict["obs"], input_dict.get("mask"))
        logits, value, states = self.a2c_network({**input_dict, "obs": obs})
        masks = input_dict.get("action_masks")
        logits = D.apply_mask(logits, masks)
        return {
            "prev_neglogp": D.categorical_neglogp(logits, input_dict["prev_actions"]),
            "values": value,
            "entropy": D.categorical_entropy(logits, masks),
            "logits": logits,
            "rnn_states": states,
        }


class MultiDiscreteNetwork(A2CModelNetwork):
    """One categorical per head; log-probs and entropies summed over heads. Action masks are
    concatenated over heads (``[B, sum(nvec)]``) and split by head size."""

    kind = "multi_discrete"

    def _logits(self, input_dict: dict[str, Any], obs: Any) -> tuple:
        logits, value, states = self.a2c_network({**input_dict, "obs": obs})
        masks = D.split_mask(input_dict.get("action_masks"), [lg.shape[-1] for lg in logits])
        logits = [D.apply_mask(lg, m) for lg, m in zip(logits, masks, strict=True)]
        return logits, masks, value, states

    @staticmethod
    def _neglogp(logits: list[torch.Tensor], actions: torch.Tensor) -> torch.Tensor:
        heads = actions.unbind(-1)
        return sum(D.categorical_neglogp(lg, a) for lg, a in zip(logits, heads, strict=True))

    def act(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        obs = self.norm_obs(input_dict["obs"])
        logits, _, value, states = self._logits(input_dict, obs)
        det = bool(input_dict.get("deterministic", False))
        heads = [lg.argmax(dim=-1) if det else D.categorical_sample(lg) for lg in logits]
        actions = torch.stack(heads, dim=-1)
        return {
            "actions": actions,
            "neglogpacs": self._neglogp(logits, actions),
            "values": self.denorm_value(value),
            "logits": logits,
            "rnn_states": states,
        }

    def evaluate(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        obs = self.norm_obs(input_dict["obs"], input_dict.get("mask"))
        logits, masks, value, states = self._logits(input_dict, obs)
        entropy = sum(D.categorical_entropy(lg, m) for lg, m in zip(logits, masks, strict=True))
        return {
            "prev_neglogp": self._neglogp(logits, input_dict["prev_actions"]),
            "values": value,
            "entropy": entropy,
            "logits": logits,
            "rnn_states": states,
        }


class CentralValueNetwork(A2CModelNetwork):
    """``central_value``: a value-only critic whose input (``input_dict['obs']``) is the env's
    ``states``. ``act`` returns de-normalized values (rollout), ``evaluate`` normalized ones
    (training); ``forward`` picks by ``is_train`` (default: the module's training mode)."""

    kind = "central_value"

    def _value(self, input_dict: dict[str, Any], mask: torch.Tensor | None = None) -> tuple:
        obs = self.norm_obs(input_dict["obs"], mask)
        return self.a2c_network({**input_dict, "obs": obs})

    def act(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        value, states = self._value(input_dict)
        return {"values": self.denorm_value(value), "rnn_states": states}

    def evaluate(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        value, states = self._value(input_dict, input_dict.get("mask"))
        return {"values": value, "rnn_states": states}

    def forward(self, input_dict: dict[str, Any]) -> dict[str, Any]:
        if input_dict.get("is_train", self.training):
            return self.evaluate(input_dict)
        return self.act(input_dict)


def model_network_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a model ``Network`` taken from the build config (rl_games)."""
    return {
        "obs_shape": config["input_shape"],
        "normalize_value": config.get("normalize_value", False),
        "normalize_input": config.get("normalize_input", False),
        "value_size": config.get("value_size", 1),
    }


class BaseModel:
    """rl_games model entry: ``Model(network_builder).build(config) -> nn.Module``.

    ``build`` calls ``self.network_builder.build(self.model_class, **config)`` and wraps the raw
    network in the class's inner ``Network``; subclasses replace ``Network`` and/or ``build``.
    """

    Network: type[nn.Module] = A2CModelNetwork

    def __init__(self, model_class: str = "a2c") -> None:
        self.model_class = model_class

    def is_rnn(self) -> bool:
        return False

    def is_separate_critic(self) -> bool:
        return False

    def get_value_layer(self) -> nn.Module | None:
        return None

    def build(self, config: dict[str, Any]) -> nn.Module:
        net = self.network_builder.build(self.model_class, **config)
        return self.Network(net, **model_network_kwargs(config))


class _A2CModel(BaseModel):
    def __init__(self, network: Any) -> None:
        BaseModel.__init__(self, "a2c")
        self.network_builder = network


class ModelA2C(_A2CModel):
    Network = DiscreteNetwork


class ModelA2CMultiDiscrete(_A2CModel):
    Network = MultiDiscreteNetwork


class ModelA2CContinuousLogStd(_A2CModel):
    Network = ContinuousLogStdNetwork


class ModelA2CContinuous(_A2CModel):
    Network = ContinuousNetwork


class ModelCentralValue(_A2CModel):
    """``central_value``: the critic of ``config.central_value_config`` (network needs
    ``central_value: True``, so it has a value head only)."""

    Network = CentralValueNetwork

    def build(self, config: dict[str, Any]) -> nn.Module:
        net = self.network_builder.build(self.model_class, **config)
        if getattr(net, "head_kind", "value") != "value":
            raise ValueError("model central_value needs a network with central_value: True")
        return self.Network(net, **model_network_kwargs(config))


BaseModelNetwork = A2CModelNetwork  # rl_games' name of the wrappers' base class
