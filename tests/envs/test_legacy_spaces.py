"""Legacy ``gym`` (0.26) spaces, as Isaac Lab and IsaacGymEnvs build them, become gymnasium
spaces at the env boundary (``rl_games.envs.spaces``, ``TorchVecEnv``)."""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium
import numpy as np
import pytest
import torch

from rl_games.algos.ppo.agent import action_space_info, obs_input_shape
from rl_games.envs import IVecEnv, TorchVecEnv
from rl_games.envs.spaces import convert_env_info, is_space, to_gymnasium_space

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    gym = pytest.importorskip("gym")

G = gymnasium.spaces


def test_box_keeps_bounds_shape_and_dtype() -> None:
    low = np.array([-1.0, -2.0, 0.0], dtype=np.float32)
    legacy = gym.spaces.Box(low=low, high=np.array([1.0, 2.0, np.inf], dtype=np.float32))
    space = to_gymnasium_space(legacy)
    assert isinstance(space, G.Box) and not isinstance(legacy, gymnasium.Space)
    assert space.shape == (3,) and space.dtype == np.float32
    np.testing.assert_array_equal(space.low, low)
    np.testing.assert_array_equal(space.high, [1.0, 2.0, np.inf])
    image = to_gymnasium_space(gym.spaces.Box(0, 255, (4, 5, 3), np.uint8))
    assert image.dtype == np.uint8 and image.shape == (4, 5, 3) and image.high.max() == 255
    wide = to_gymnasium_space(gym.spaces.Box(-np.inf, np.inf, (2,), np.float64))
    assert wide.dtype == np.float64 and np.isinf(wide.low).all()


def test_discrete_multidiscrete_multibinary() -> None:
    d = to_gymnasium_space(gym.spaces.Discrete(5, start=2))
    assert isinstance(d, G.Discrete) and d.n == 5 and d.start == 2
    md = to_gymnasium_space(gym.spaces.MultiDiscrete([3, 4, 2]))
    assert isinstance(md, G.MultiDiscrete) and md.nvec.tolist() == [3, 4, 2]
    mb = to_gymnasium_space(gym.spaces.MultiBinary([2, 3]))
    assert isinstance(mb, G.MultiBinary) and mb.shape == (2, 3)


def test_dict_of_boxes_keeps_key_order_and_nests() -> None:
    groups = gym.spaces.Dict(
        {
            "policy": gym.spaces.Box(-1.0, 1.0, (6,)),
            "critic": gym.spaces.Box(-np.inf, np.inf, (9,)),
            "extra": gym.spaces.Dict(
                {
                    "cam": gym.spaces.Box(0, 255, (8, 8, 1), np.uint8),
                    "act": gym.spaces.Tuple((gym.spaces.Discrete(3), gym.spaces.Discrete(2))),
                }
            ),
        }
    )
    space = to_gymnasium_space(groups)
    assert isinstance(space, G.Dict) and list(space.spaces) == list(groups.spaces)
    assert space["policy"].shape == (6,) and space["critic"].shape == (9,)
    inner = space["extra"]
    assert isinstance(inner, G.Dict) and isinstance(inner["act"], G.Tuple)
    assert [s.n for s in inner["act"].spaces] == [3, 2]
    assert inner["cam"].dtype == np.uint8
    # Isaac Lab reports an empty states group as a zero-width Box, or an empty Dict
    assert to_gymnasium_space(gym.spaces.Box(-5.0, 5.0, (0,))).shape == (0,)
    assert len(to_gymnasium_space(gym.spaces.Dict({}))) == 0
    assert obs_input_shape(G.Dict({k: space[k] for k in ("policy", "critic")})) == {
        "policy": (6,),
        "critic": (9,),
    }


def test_subclass_of_a_legacy_space_and_errors() -> None:
    class ScaledBox(gym.spaces.Box):
        pass

    assert isinstance(to_gymnasium_space(ScaledBox(-1.0, 1.0, (2,))), G.Box)
    native = G.Discrete(3)
    assert to_gymnasium_space(native) is native
    assert is_space(gym.spaces.Discrete(2)) and not is_space(object())
    with pytest.raises(TypeError, match="unsupported space"):
        to_gymnasium_space((2, 3))


def test_action_space_info_reads_converted_legacy_spaces() -> None:
    box = action_space_info(to_gymnasium_space(gym.spaces.Box(-1.0, 1.0, (1,))))
    assert box[:3] == ("continuous", 1, (1,))
    disc = action_space_info(to_gymnasium_space(gym.spaces.Discrete(4)))
    assert disc[:2] == ("discrete", 4)
    tup = action_space_info(to_gymnasium_space(gym.spaces.Tuple([gym.spaces.Discrete(2)] * 3)))
    assert tup[:2] == ("multi_discrete", [2, 2, 2])


class LegacySpacesVecEnv(IVecEnv):
    """Reports its spaces with ``gym`` 0.26, as IsaacGymEnvs' ``RLGPUEnv`` does."""

    def __init__(self) -> None:
        self.num_envs = 2

    def reset(self) -> torch.Tensor:
        return torch.zeros(2, 3)

    def get_env_info(self) -> dict[str, Any]:
        return {
            "observation_space": gym.spaces.Box(-np.inf, np.inf, (3,)),
            "action_space": gym.spaces.Box(-1.0, 1.0, (1,)),
            "state_space": gym.spaces.Box(-np.inf, np.inf, (5,)),
            "amp_observation_space": gym.spaces.Box(-1.0, 1.0, (7,)),
            "agents": 1,
        }


def test_env_info_is_converted_once_at_the_boundary() -> None:
    env = TorchVecEnv(LegacySpacesVecEnv(), "cpu")
    info = env.env_info
    for key in ("observation_space", "action_space", "state_space", "amp_observation_space"):
        assert isinstance(info[key], gymnasium.Space), key
    assert info["agents"] == 1 and env.action_space.shape == (1,)
    assert action_space_info(env.action_space)[0] == "continuous"
    given = {"observation_space": gym.spaces.Discrete(3), "action_space": None}
    converted = convert_env_info(given)
    assert isinstance(converted["observation_space"], G.Discrete)
    assert converted["action_space"] is None
    assert isinstance(given["observation_space"], gym.spaces.Discrete)  # input left as is
