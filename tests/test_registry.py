"""Registries: helpful misses, registration, and the built-in names."""

from __future__ import annotations

import pytest

from rl_games.builders import ALGORITHMS, MODELS, NETWORKS, PLAYERS
from rl_games.config import CONFIG_SCHEMAS
from rl_games.envs.registry import ENV_CONFIGURATIONS, VECENV_TYPES, env_status
from rl_games.registry import Registry, RegistryError


def make() -> Registry[int]:
    reg: Registry[int] = Registry("widget")
    reg.register("alpha", 1)
    reg.register("beta", 2)
    reg.register("gamma_ray", 3)
    return reg


def test_miss_lists_valid_names_and_suggests_the_nearest() -> None:
    with pytest.raises(RegistryError) as info:
        make().get("alpah")
    assert str(info.value) == (
        "unknown widget 'alpah' (did you mean 'alpha'?); registered widgets: alpha, beta, gamma_ray"
    )


def test_miss_without_a_near_name_has_no_suggestion() -> None:
    with pytest.raises(RegistryError) as info:
        make()["zzz"]
    assert "did you mean" not in str(info.value)
    assert "registered widgets: alpha, beta, gamma_ray" in str(info.value)


def test_registry_error_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        make().get("nope")


def test_register_overwrite_and_unregister() -> None:
    reg = make()
    reg.register("alpha", 10)
    assert reg.get("alpha") == 10
    with pytest.raises(ValueError, match="already registered"):
        reg.register("alpha", 11, overwrite=False)
    reg.unregister("alpha")
    assert "alpha" not in reg
    reg.unregister("alpha")  # absent: no error
    assert reg.names() == ["beta", "gamma_ray"]
    assert len(reg) == 2 and sorted(reg) == ["beta", "gamma_ray"]


def test_decorator_registers_the_object() -> None:
    reg: Registry[type] = Registry("thing")

    @reg.decorator("mine")
    class Mine:
        pass

    assert reg.get("mine") is Mine


@pytest.mark.parametrize(
    ("registry", "names"),
    [
        (ALGORITHMS, ["a2c_continuous", "a2c_discrete", "sac"]),
        (PLAYERS, ["a2c_continuous", "a2c_discrete", "sac"]),
        (CONFIG_SCHEMAS, ["a2c_continuous", "a2c_discrete", "sac"]),
        (
            MODELS,
            [
                "continuous_a2c_logstd",
                "continuous_a2c",
                "discrete_a2c",
                "multi_discrete_a2c",
                "central_value",
                "soft_actor_critic",
            ],
        ),
        (NETWORKS, ["actor_critic", "resnet_actor_critic", "soft_actor_critic"]),
        (VECENV_TYPES, ["ENVPOOL", "GYMNASIUM"]),
        (
            ENV_CONFIGURATIONS,
            [
                "envpool",
                "gymnasium",
                "openai_gym",
                "CartPole-v1",
                "Pendulum-v1",
                "Pendulum-v0",
                "LunarLander-v2",
                "MountainCarContinuous-v0",
            ],
        ),
    ],
)
def test_builtin_names_are_registered(registry: Registry, names: list[str]) -> None:
    for name in names:
        assert name in registry, f"{name} missing from the {registry.kind} registry"


def test_builtin_env_names_use_registered_vecenv_types() -> None:
    for name in ENV_CONFIGURATIONS.names():
        assert ENV_CONFIGURATIONS.get(name)["vecenv_type"] in VECENV_TYPES


def test_env_status_of_an_unknown_env_suggests_and_says_how_to_register() -> None:
    status = env_status("CartPole-v2")
    assert status is not None
    assert "unknown env name 'CartPole-v2'" in status
    assert "did you mean 'CartPole-v1'?" in status
    assert "register_env" in status


def test_env_status_of_a_builtin_env_is_clean() -> None:
    assert env_status("CartPole-v1") is None


def test_rl_games_factory_calls_register_builder_and_create() -> None:
    reg: Registry = Registry("algorithm")
    reg.register_builder("mine", lambda **kw: ("built", kw))
    assert reg.create("mine", base_name="run", params=3) == (
        "built",
        {"base_name": "run", "params": 3},
    )
    reg.register("constant", 5)
    with pytest.raises(TypeError, match="non-callable"):
        reg.create("constant")
    with pytest.raises(RegistryError, match="did you mean 'mine'"):
        reg.create("mnie")


# ---- the one module:attr resolver (rl_games.utils.imports) -----------------------------------


@pytest.mark.parametrize("spec", ["os.path:join", "os.path.join"])
def test_resolver_accepts_both_spellings(spec: str) -> None:
    import os.path

    from rl_games.utils.imports import resolve_callable

    assert resolve_callable(spec, "params.config.stop_fn") is os.path.join


def test_resolver_reads_a_dotted_attribute_after_the_colon() -> None:
    import collections

    from rl_games.utils.imports import resolve_callable

    found = resolve_callable("collections:OrderedDict.fromkeys", "k")
    assert found == collections.OrderedDict.fromkeys


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:fn", "cannot import 'no_such_module_xyz:fn'"),
        ("os.path:no_such_fn", "cannot import 'os.path:no_such_fn'"),
        ("nodots", "'nodots' is not 'pkg.module:function' or 'pkg.module.function'"),
        ("math:pi", "'math:pi' resolves to a float, not a callable"),
    ],
)
def test_resolver_errors_name_the_config_key(spec: str, message: str) -> None:
    from rl_games.config.errors import ConfigError
    from rl_games.utils.imports import resolve_callable

    with pytest.raises(ConfigError) as info:
        resolve_callable(spec, "params.config.some_key")
    assert f"params.config.some_key: {message}" in str(info.value)


def test_lazy_callable_imports_on_first_call_and_keeps_missing_package_errors() -> None:
    from rl_games.utils.imports import lazy_callable, resolve_lazy

    join = lazy_callable("os.path:join")
    assert join("a", "b") == "a/b" and join.lazy_target == "os.path:join"
    import os.path

    assert resolve_lazy(join) is os.path.join and resolve_lazy(len) is len
    missing = lazy_callable("rlrunner_no_such_pkg.mod:fn")
    with pytest.raises(ModuleNotFoundError) as info:
        missing()
    assert info.value.name == "rlrunner_no_such_pkg"
    with pytest.raises(ValueError):
        lazy_callable("nodots")


def test_builders_and_stop_fn_use_the_one_resolver() -> None:
    from rl_games.builders import resolve_entry
    from rl_games.training.stop import resolve_stop_fn
    from rl_games.utils.imports import lazy_callable

    entry = ALGORITHMS.get("a2c_continuous")
    assert entry.lazy_target == "rl_games.algos.ppo.agent:PPOAgent"
    assert resolve_entry(lazy_callable("os.path:join")) is __import__("os.path").path.join
    assert resolve_stop_fn("os.path.join") is __import__("os.path").path.join
