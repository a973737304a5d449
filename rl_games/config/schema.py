"""Typed configuration: the one home of every default.

Field names are rl_games' YAML key names. Each field's ``metadata`` holds ``doc`` (meaning) and,
where it matters, ``required`` (must be given) and ``note`` (rl_games behaviour worth knowing).
Objects are frozen: code reads them, nothing mutates them at run time.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

# Accepted-but-ignored, renamed and hinted keys live beside the schema; re-exported here.
from rl_games.config.compat_keys import (  # noqa: F401
    IGNORED_KEYS,
    IGNORED_WITH_HINT,
    RENAMED_KEYS,
)
from rl_games.config.fields import REQUIRED, f, to_dict  # noqa: F401  (REQUIRED: loader)
from rl_games.config.schema_population import PbtConfig, SelfPlayConfig

Initializer = dict[str, Any]  # {name: <initializer>, **kwargs}; validated by the network package


# ----------------------------------------------------------------------------------- network
@dataclass(frozen=True)
class ContinuousSpaceConfig:
    mu_activation: str = f("None", "activation applied to the action mean")
    sigma_activation: str = f("None", "activation applied to the sigma output")
    mu_init: Initializer = f({"name": "default"}, "initializer of the mu head weight")
    sigma_init: Initializer = f(
        {"name": "const_initializer", "val": 0.0}, "initializer of sigma (parameter or head)"
    )
    fixed_sigma: bool = f(True, "sigma is a learned parameter independent of the observation")
    min_sigma: float = f(0.0, "additive std floor (rl_games 2.0)")
    logstd_bounds: list[float] | None = f(None, "[lo, hi] clamp on the raw log-std (2.0)")
    sigma_parametrization: str = f("exp", "exp | softplus | linear (alias scalar) (2.0)")


@dataclass(frozen=True)
class DiscreteSpaceConfig:
    pass


@dataclass(frozen=True)
class MultiDiscreteSpaceConfig:
    pass


@dataclass(frozen=True)
class SpaceConfig:
    continuous: ContinuousSpaceConfig | None = f(None, "Box actions (Gaussian head)")
    discrete: DiscreteSpaceConfig | None = f(None, "Discrete actions (categorical head)")
    multi_discrete: MultiDiscreteSpaceConfig | None = f(
        None, "Tuple/MultiDiscrete actions (one categorical head per sub-space)"
    )


@dataclass(frozen=True)
class MLPConfig:
    units: list[int] = f([], "hidden layer sizes (may be empty)")
    activation: str = f("elu", "hidden activation")
    initializer: Initializer = f({"name": "default"}, "initializer of every Linear weight")
    d2rl: bool = f(False, "D2RL: re-concatenate the input to every hidden layer")
    norm_only_first_layer: bool = f(False, "apply `normalization` only after the first layer")
    regularizer: dict[str, Any] | None = f(None, "ignored (rl_games reads but never uses it)")


@dataclass(frozen=True)
class ConvLayerConfig:
    filters: int = f(32, "output channels")
    kernel_size: int = f(3, "kernel size")
    strides: int = f(1, "stride")
    padding: int = f(0, "padding")


@dataclass(frozen=True)
class CNNConfig:
    type: str = f(
        "conv2d", "conv2d | conv2d_flatten | conv2d_spatial_softargmax | coord_conv2d | conv1d"
    )
    convs: list[ConvLayerConfig] = f([], "convolution layers")
    activation: str = f("relu", "activation after each conv")
    initializer: Initializer = f({"name": "default"}, "conv weight initializer (bias zeroed)")
    permute_input: bool = f(True, "input is HWC and is permuted to CHW")
    conv_depths: list[int] = f([], "resnet_actor_critic: IMPALA stage channels")
    regularizer: dict[str, Any] | None = f(None, "ignored (rl_games reads but never uses it)")


@dataclass(frozen=True)
class RNNConfig:
    name: str = f("lstm", "lstm | gru | identity")
    units: int = f(128, "hidden size")
    layers: int = f(1, "number of layers")
    before_mlp: bool = f(False, "run the RNN on CNN/raw features, then the MLP")
    concat_input: bool = f(False, "concatenate the RNN input features to its input (after-MLP RNN)")
    concat_output: bool = f(False, "concatenate the RNN input features to its output")
    layer_norm: bool = f(False, "LayerNorm on the RNN output")


@dataclass(frozen=True)
class NetworkConfig:
    name: str = f(
        None,
        "network builder: actor_critic | resnet_actor_critic | soft_actor_critic | registered",
        required=True,
    )
    separate: bool = f(
        False,
        "separate critic tower (else shared trunk with a value head); soft_actor_critic: True",
    )
    space: SpaceConfig = f(SpaceConfig, "action head")
    mlp: MLPConfig = f(MLPConfig, "MLP trunk")
    cnn: CNNConfig | None = f(None, "convolutional encoder")
    rnn: RNNConfig | None = f(None, "recurrent layer")
    normalization: str | None = f(None, "layer_norm | batch_norm after each hidden layer")
    value_activation: str = f("None", "activation on the value output")
    central_value: bool = f(False, "network returns only a value (central value critic)")
    log_std_bounds: list[float] | None = f(None, "SAC: [lo, hi] bounds of the actor log-std")
    joint_obs_actions: dict[str, Any] | None = f(None, "read by rl_games, unused")
    value_shape: int | None = f(None, "read by rl_games, unused")
    require_rewards: bool = f(False, "resnet_actor_critic: feed the last reward to the RNN")
    require_last_actions: bool = f(False, "resnet_actor_critic: feed the last action to the RNN")
    obs_keys: list[str] | None = f(
        None,
        "ours: dict observations: the keys flattened and concatenated (in this order) into the "
        "MLP input; None: every key, in sorted order",
    )
    raw: dict[str, Any] = f({}, "the block as written (custom network builders read this)")


@dataclass(frozen=True)
class NamedConfig:
    name: str = f(None, "registered name", required=True)


# ----------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class RewardShaperConfig:
    scale_value: float = f(1.0, "reward multiplier")
    shift_value: float = f(0.0, "added before scaling")
    min_val: float = f(-math.inf, "lower clamp after scaling")
    max_val: float = f(math.inf, "upper clamp after scaling")
    log_val: bool = f(False, "apply log after clamping")
    is_torch: bool = f(True, "ignored: rewards are always torch tensors here")


@dataclass(frozen=True)
class PlayerConfig:
    games_num: int = f(2000, "games to play (episodes finished across all envs)")
    deterministic: bool = f(True, "continuous: mean action; discrete: argmax; SAC: tanh(mu)")
    clip_actions: bool = f(
        True, "continuous: clamp actions to [-1, 1] and rescale to the action Box; False: raw"
    )
    render: bool = f(False, "call env.render() each step")
    render_sleep: float = f(0.002, "seconds to sleep after each render")
    n_game_life: int = f(1, "Atari episodic life: averages are multiplied by this")
    print_stats: bool = f(True, "print each game's reward and steps")
    use_vecenv: bool = f(True, "play on the vectorized env (always possible here)")
    num_actors: int | None = f(None, "envs to play on (default: config.num_actors)")
    env_config: dict[str, Any] | None = f(None, "replaces config.env_config when playing")
    balance_env_rewards: bool = f(
        False, "av reward / steps: average each env's games first, then across envs"
    )
    evaluation: bool = f(False, "watch a directory for new checkpoints")
    dir_to_monitor: str | None = f(None, "directory watched in evaluation mode")
    update_checkpoint_freq: int = f(100, "steps between checkpoint reloads in evaluation mode")
    device_name: str | None = f(None, "rl_games' player device key (default: config.device)")
    games_to_track: int = f(100, "window of the reward meter")


@dataclass(frozen=True)
class CentralValueConfig:
    network: NetworkConfig = f(
        NetworkConfig,
        "critic network (usually actor_critic with central_value: True)",
        required=True,
    )
    model: NamedConfig = f(NamedConfig, "model wrapper; default central_value")
    learning_rate: float = f(None, "Adam learning rate", required=True)
    lr_schedule: str | None = f(None, "only `linear` is honoured (over max_epochs)")
    kl_threshold: float | None = f(None, "read, unused by the critic")
    schedule_type: str | None = f(None, "read, unused by the critic")
    mini_epochs: int = f(None, "passes over the critic batch", required=True)
    minibatch_size: int | None = f(None, "samples per critic minibatch")
    minibatch_size_per_env: int = f(
        0, "minibatch_size = num_actors * this, when minibatch_size is unset"
    )
    clip_value: bool = f(True, "clipped value loss")
    e_clip: float = f(0.2, "value clip range (not inherited from config.e_clip)")
    normalize_input: bool = f(True, "RunningMeanStd on states")
    truncate_grads: bool = f(False, "clip the gradient norm")
    grad_norm: float = f(1.0, "max gradient norm")
    weight_decay: float = f(0.0, "Adam weight decay")
    mixed_precision: bool = f(False, "bf16 autocast on CUDA")
    freeze_critic: bool = f(False, "skip critic training")


@dataclass(frozen=True)
class CommonConfig:
    """Keys shared by every algorithm (``params.config``)."""

    name: str = f(None, "experiment name (run directory and checkpoint file name)", required=True)
    env_name: str = f(
        None, "registered env name (e.g. envpool, CartPole-v1, gymnasium)", required=True
    )
    env_config: dict[str, Any] = f({}, "keyword arguments for the env / vecenv creator")
    num_actors: int = f(
        1,
        "parallel environments; -1: set by the launching script (Isaac Lab's train.py writes "
        "the env count here before Runner.load)",
    )
    reward_shaper: RewardShaperConfig = f(RewardShaperConfig, "reward transform")
    device: str = f(
        "cuda:0", "training device; falls back to cpu with a warning when CUDA is absent"
    )
    device_name: str | None = f(None, "rl_games' player device key (default: device)")
    gamma: float = f(0.99, "discount")
    normalize_input: bool = f(False, "observation RunningMeanStd inside the model")
    mixed_precision: bool = f(False, "bf16 autocast for the update (CUDA only)")
    value_bootstrap: bool = f(True, "bootstrap the value on time-outs (infos['time_outs'])")
    max_epochs: int = f(-1, "stop after this many epochs (-1: no limit)")
    max_frames: int = f(-1, "stop after this many env frames (-1: no limit)")
    max_steps: int = f(-1, "rl_games 2.0 alias: max_frames = max(max_frames, max_steps)")
    score_to_win: float = f(math.inf, "stop when the mean reward exceeds this")
    save_best_after: int = f(100, "earliest epoch for saving the best checkpoint")
    save_frequency: int = f(0, "save last_... every N epochs (0: off)")
    print_stats: bool = f(True, "one console line per epoch")
    games_to_track: int = f(100, "window of the reward/length meters")
    stop_fn: str | None = f(None, "'pkg.mod:fn' called as fn(agent) -> bool once per epoch")
    train_dir: str = f("runs", "experiment root directory")
    full_experiment_name: str | None = f(None, "exact run directory name (no timestamp)")
    torch_compile: bool | str | dict[str, Any] = f(
        False, "false | true | mode | {mode, critic_mode}"
    )
    multi_gpu: bool = f(False, "torchrun data parallel")
    player: PlayerConfig = f(PlayerConfig, "--play settings")
    capability_manifest: dict[str, Any] | None = f(None, "opaque metadata stored in checkpoints")
    import_modules: list[str] = f([], "modules imported first (they may register envs/networks)")
    vecenv_type: str | None = f(None, "register env_name with this vecenv type if unknown")
    algo_observer: str = f("default", "default | isaac (a Runner(algo_observer) wins)")
    features: dict[str, Any] | None = f(None, "internal (rl_games)")
    population_based_training: bool = f(False, "PBT run naming (not implemented)")
    pbt_idx: int | None = f(None, "PBT index")
    save_best_min_interval: float = f(
        10.0,
        "ours: at most one best-checkpoint write per this many seconds (the last best is always written at the end)",
    )
    raw: dict[str, Any] = f({}, "the block as written (whether env_config was given: env seed)")


@dataclass(frozen=True)
class PPOConfig(CommonConfig):
    """``params.config`` for ``a2c_continuous`` / ``a2c_discrete``."""

    horizon_length: int = f(None, "rollout steps per env per epoch", required=True)
    minibatch_size: int | None = f(None, "samples per minibatch (batch must be divisible)")
    minibatch_size_per_env: int = f(
        0, "minibatch_size = num_actors * this, when minibatch_size is unset"
    )
    mini_epochs: int = f(4, "passes over the batch per epoch")
    learning_rate: float = f(3e-4, "Adam learning rate")
    lr_schedule: str | None = f(None, "adaptive | linear | None")
    kl_threshold: float = f(0.008, "target KL of the adaptive schedule")
    min_lr: float = f(1e-6, "adaptive/linear lower bound")
    max_lr: float = f(1e-2, "adaptive upper bound")
    lr_multiplier: float = f(1.5, "adaptive step factor")
    schedule_type: str = f(
        "legacy", "legacy | per_minibatch | standard (continuous LR step granularity)"
    )
    schedule_entropy: bool = f(False, "linear schedule also decays entropy_coef")
    e_clip: float = f(0.2, "PPO ratio clip and value clip range")
    clip_value: bool = f(True, "clipped value loss")
    critic_coef: float = f(2.0, "value loss weight (loss uses 0.5*critic_coef*c_loss)")
    entropy_coef: float = f(0.0, "entropy bonus weight")
    bounds_loss_coef: float | None = f(None, "continuous bounds loss weight (None: 0)")
    bound_loss_type: str = f(
        "bound",
        "bound | regularisation (British spelling); any other value: no bounds loss (rl_games)",
    )
    tau: float = f(0.95, "GAE lambda")
    normalize_advantage: bool = f(True, "whole-batch advantage standardisation")
    normalize_rms_advantage: bool = f(
        False, "normalize advantages with EMA statistics instead of the batch's"
    )
    adv_rms_momentum: float = f(0.5, "EMA momentum for normalize_rms_advantage")
    normalize_value: bool = f(False, "value/return RunningMeanStd")
    truncate_grads: bool = f(False, "clip the gradient norm to grad_norm")
    grad_norm: float = f(1.0, "max gradient norm")
    weight_decay: float = f(0.0, "Adam weight decay")
    use_smooth_clamp: bool = f(False, "sigmoid-smoothed ratio clamp")
    ppo: bool = f(True, "false: vanilla policy gradient loss")
    clip_actions: bool = f(True, "clamp to [-1, 1] and rescale to the Box bounds before env.step")
    use_action_masks: bool = f(False, "query env action masks each step")
    seq_length: int = f(4, "RNN BPTT sequence length")
    bptt_length: int | None = f(None, "read, unused")
    zero_rnn_on_done: bool = f(True, "zero RNN states of finished episodes")
    use_diagnostics: bool = f(
        False,
        "TensorBoard diagnostics/*: exp_var, clip_frac/<mini_epoch>, rms_value, rms_advantage",
    )
    use_experimental_cv: bool | None = f(
        None,
        "with central value: also train the actor's value head (default: continuous True, discrete False)",
    )
    central_value_config: CentralValueConfig | None = f(None, "asymmetric critic")
    freeze_critic: bool = f(False, "do not update the value normaliser / critic")
    multi_gpu_sync_stats: bool = f(True, "merge normaliser statistics across ranks every epoch")
    multi_gpu_sync_stats_mode: str = f("pooled", "pooled | broadcast")
    epochs_between_resets: int = f(0, "force env resets every N epochs (0: off)")
    self_play_config: SelfPlayConfig | None = f(None, "self-play against snapshots held by the env")
    ignore_dead_batches: bool = f(False, "legacy key, ignored")


@dataclass(frozen=True)
class SACConfig(CommonConfig):
    """``params.config`` for ``sac``."""

    batch_size: int = f(256, "replay minibatch size")
    replay_buffer_size: int = f(1_000_000, "replay capacity (transitions)")
    init_alpha: float = f(1.0, "initial temperature")
    learnable_temperature: bool = f(True, "learn alpha")
    actor_lr: float = f(3e-4, "actor Adam learning rate")
    critic_lr: float = f(3e-4, "critic Adam learning rate")
    alpha_lr: float = f(3e-4, "temperature Adam learning rate")
    actor_betas: list[float] = f([0.9, 0.999], "actor Adam betas")
    critic_betas: list[float] = f([0.9, 0.999], "critic Adam betas")
    alphas_betas: list[float] = f([0.9, 0.999], "temperature Adam betas")
    critic_tau: float = f(0.005, "Polyak rate of the target critic")
    num_steps_per_episode: int = f(1, "env steps per epoch")
    num_warmup_steps: int = f(1000, "epochs of uniform random actions")
    num_warmup_frames: int | None = f(None, "overrides num_warmup_steps in frames")
    utd_ratio: float | None = f(None, "updates per env step = max(1, round(utd_ratio*num_actors))")
    num_updates_per_step: int = f(1, "gradient updates per env step")
    policy_frequency: int = f(2, "actor/alpha update every N critic updates")
    critic_grad_clip: float = f(5.0, "critic gradient norm clip (0: off)")
    target_entropy_coef: float = f(1.0, "target entropy = -coef * action_dim")
    save_replay_buffer: bool = f(False, "store the replay buffer in checkpoints")
    save_best_after: int = f(500, "earliest epoch for saving the best checkpoint (SAC: 500)")


@dataclass(frozen=True)
class Params:
    """The whole ``params`` block."""

    seed: int | None = f(None, "global seed (0 is a valid seed); None: from the clock")
    torch_threads: int | str = f("auto", "'auto' = min(4, cpus // world_size); 0 = torch default")
    algo: NamedConfig = f(
        NamedConfig, "algorithm: a2c_continuous | a2c_discrete | sac", required=True
    )
    model: NamedConfig = f(NamedConfig, "model wrapper", required=True)
    network: NetworkConfig = f(NetworkConfig, "network builder and its settings", required=True)
    config: CommonConfig = f(
        CommonConfig, "training settings (PPO or SAC schema by algo.name)", required=True
    )
    pbt: PbtConfig | None = f(None, "population based training (docs/pbt.md)")
    env: dict[str, Any] | None = f(
        None, "read by env wrappers, not the runner (Isaac Lab: clip_observations, clip_actions)"
    )

    def __getitem__(self, key: str) -> Any:
        """rl_games' ``params['config']`` (research code such as IsaacGymEnvs' AMP agents reads
        its blocks this way): a block as a plain dict (a copy: the typed config stays frozen)."""
        if key not in {fl.name for fl in dataclasses.fields(self)}:
            raise KeyError(f"params has no block {key!r}")
        block = getattr(self, key)
        typed = to_dict(block)
        raw = getattr(block, "raw", None)  # a config block keeps the keys a user algorithm reads
        if isinstance(raw, dict) and isinstance(typed, dict):
            return {**{k: v for k, v in raw.items() if k not in typed}, **typed}
        return typed

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and getattr(self, key, None) is not None
