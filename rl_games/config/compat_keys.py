"""Keys that shipped rl_games configs carry but that change nothing, per schema block.

Each entry maps a key to why it is accepted. The loader warns once per key found (with the reason)
and drops it; ``rl_games.config.docs`` lists them under their block. Keys read by rl_games with an
effect are schema fields, never entries here. Block names are the schema dataclass names.
"""

from __future__ import annotations

_LAUNCHER = "launcher key (IsaacGymEnvs, Isaac Lab): checkpoints are given with --checkpoint"
_UNUSED = "read by rl_games but unused"
_PBT_WRITER = (
    "TensorBoard write throttling, read by rl_games only for population based training "
    "(IntervalSummaryWriter); scalars are written every epoch here"
)

# Accepted and ignored: key -> reason (warned as "<reason>; ignored").
IGNORED_KEYS: dict[str, dict[str, str]] = {
    "Params": {"load_checkpoint": _LAUNCHER, "load_path": _LAUNCHER},
    "NetworkConfig": {"lstm": "legacy key read by no code"},
    "MLPConfig": {"normalization": "read by no code: the network-level normalization applies"},
    "ContinuousSpaceConfig": {"scale": "legacy key read by no code"},
    "CentralValueConfig": {
        "use_smooth_clamp": "read by no code: the critic's value clip is a hard clamp (IsaacGymEnvs' "
        "AllegroHandLSTM_Big sets it)",
    },
    "PPOConfig": {
        "load_checkpoint": _LAUNCHER,
        "load_path": _LAUNCHER,
        "network_path": _UNUSED,
        "log_path": _UNUSED,
        "is_train": _UNUSED,
        "self_play": _UNUSED,
        "rnd_config": "legacy random network distillation block read by no code",
        "defer_summaries_sec": _PBT_WRITER,
        "summaries_interval_sec_min": _PBT_WRITER,
        "summaries_interval_sec_max": _PBT_WRITER,
        "force_interval_writer": "read by no code (IsaacGymEnvs' DeXtreme configs set it)",
    },
    "SACConfig": {
        "load_checkpoint": _LAUNCHER,
        "load_path": _LAUNCHER,
        "network_path": _UNUSED,
        "log_path": _UNUSED,
        "is_train": _UNUSED,
    },
}

# Renamed keys (old -> new): read under the new name with a warning.
RENAMED_KEYS: dict[str, dict[str, str]] = {
    "PlayerConfig": {"determenistic": "deterministic"},
}

# Keys rl_games ignores although they look meaningful: warned with what to write instead.
IGNORED_WITH_HINT: dict[str, dict[str, str]] = {
    "PPOConfig": {
        "seq_len": "ignored, as rl_games does: the sequence length key is seq_length (default 4)"
    },
    "SACConfig": {
        "num_seed_steps": "ignored, as rl_games does since 1.1: the warmup length is "
        "num_warmup_steps (epochs, default 1000) or num_warmup_frames",
    },
    "NetworkConfig": {
        "inputs": "ignored, as rl_games does (IsaacGymEnvs' DeXtreme observation list): dict "
        "observations are chosen with obs_keys",
    },
    "RNNConfig": {
        "zero_rnn_on_done": "ignored, as rl_games does: write zero_rnn_on_done in params.config "
        "(it applies to the central value's RNN too)",
    },
    "PbtConfig": {  # IsaacGymEnvs' pbt block, before rl_games 2.0 took PBT in
        "replace_fraction_worst": "ignored (IsaacGymEnvs' rank-based PBT): rl_games 2.0 replaces "
        "members below the threshold_std / threshold_abs cut",
        "replace_fraction_best": "ignored (IsaacGymEnvs' rank-based PBT): leaders are the members "
        "above the threshold_std / threshold_abs cut",
        "replace_threshold_frac_std": "ignored (IsaacGymEnvs): write threshold_std",
        "replace_threshold_frac_absolute": "ignored (IsaacGymEnvs): write threshold_abs",
        "change_min": "ignored (IsaacGymEnvs): write change_range: [min, max]",
        "change_max": "ignored (IsaacGymEnvs): write change_range: [min, max]",
    },
}
