"""ModelConfig.from_env: defaults, conversions and one-line errors naming the variable."""

from __future__ import annotations

import pytest

from extractor.config import ModelConfig


def test_defaults():
    cfg = ModelConfig.from_env({})
    assert (cfg.backend, cfg.base, cfg.adapter, cfg.device, cfg.max_new_tokens, cfg.batch_size) == (
        "local",
        "gemma-3-270m",
        "auto",
        "auto",
        640,
        8,
    )
    assert cfg.threads is None and cfg.load_in_4bit is False and cfg.context_tokens == 1536


@pytest.mark.parametrize(
    "env,field,value",
    [
        ({"ACTIONBOT_BACKEND": "openai"}, "backend", "openai"),
        ({"ACTIONBOT_BASE_MODEL": "smollm2-135m"}, "base", "smollm2-135m"),
        ({"ACTIONBOT_ADAPTER": "none"}, "adapter", None),
        ({"ACTIONBOT_ADAPTER": ""}, "adapter", None),
        ({"ACTIONBOT_ADAPTER": "adapters/x"}, "adapter", "adapters/x"),
        ({"ACTIONBOT_DEVICE": "CPU"}, "device", "cpu"),
        ({"ACTIONBOT_4BIT": "1", "ACTIONBOT_DEVICE": "cuda"}, "load_in_4bit", True),
        ({"ACTIONBOT_4BIT": "false"}, "load_in_4bit", False),
        ({"ACTIONBOT_MAX_NEW_TOKENS": "256"}, "max_new_tokens", 256),
        ({"ACTIONBOT_BATCH_SIZE": "2"}, "batch_size", 2),
        ({"ACTIONBOT_CONTEXT_TOKENS": "2048"}, "context_tokens", 2048),
        ({"ACTIONBOT_THREADS": "2"}, "threads", 2),
        ({"ACTIONBOT_THREADS": ""}, "threads", None),
        ({"ACTIONBOT_CACHE_DIR": "/tmp/c"}, "cache_dir", "/tmp/c"),
        ({"ACTIONBOT_JUMP_FORWARD": "no"}, "jump_forward", False),
        ({"ACTIONBOT_EMPTY_PENALTY": "0"}, "empty_penalty", 0.0),
        ({"ACTIONBOT_EMPTY_PENALTY": "3.5"}, "empty_penalty", 3.5),
        ({"ACTIONBOT_COPY_BIAS": "0"}, "copy_bias", 0.0),
        ({}, "copy_bias", 3.0),
        ({"ACTIONBOT_HEAD_ROWS": "0"}, "head_rows", 0),
        ({"ACTIONBOT_LOOKUP": "0"}, "lookup", False),
        ({"ACTIONBOT_CPU_BATCH_SIZE": "4"}, "cpu_batch_size", 4),
        ({"ACTIONBOT_OPENAI_URL": "http://127.0.0.1:8000/v1"}, "openai_url", "http://127.0.0.1:8000/v1"),
        ({"ACTIONBOT_OPENAI_MODEL": "m"}, "openai_model", "m"),
        ({"ACTIONBOT_OPENAI_API_KEY": "k"}, "openai_api_key", "k"),
    ],
)
def test_from_env(env, field, value):
    assert getattr(ModelConfig.from_env(env), field) == value


@pytest.mark.parametrize(
    "env,var",
    [
        ({"ACTIONBOT_BACKEND": "llamacpp"}, "ACTIONBOT_BACKEND"),
        ({"ACTIONBOT_DEVICE": "tpu"}, "ACTIONBOT_DEVICE"),
        ({"ACTIONBOT_4BIT": "maybe"}, "ACTIONBOT_4BIT"),
        ({"ACTIONBOT_4BIT": "1", "ACTIONBOT_DEVICE": "cpu"}, "ACTIONBOT_4BIT"),
        ({"ACTIONBOT_MAX_NEW_TOKENS": "lots"}, "ACTIONBOT_MAX_NEW_TOKENS"),
        ({"ACTIONBOT_MAX_NEW_TOKENS": "0"}, "ACTIONBOT_MAX_NEW_TOKENS"),
        ({"ACTIONBOT_BATCH_SIZE": "-1"}, "ACTIONBOT_BATCH_SIZE"),
        ({"ACTIONBOT_CPU_BATCH_SIZE": "0"}, "ACTIONBOT_CPU_BATCH_SIZE"),
        ({"ACTIONBOT_HEAD_ROWS": "-5"}, "ACTIONBOT_HEAD_ROWS"),
        ({"ACTIONBOT_LOOKUP": "perhaps"}, "ACTIONBOT_LOOKUP"),
        ({"ACTIONBOT_CONTEXT_TOKENS": "10"}, "ACTIONBOT_CONTEXT_TOKENS"),
        ({"ACTIONBOT_THREADS": "0"}, "ACTIONBOT_THREADS"),
        ({"ACTIONBOT_BASE_MODEL": ""}, "ACTIONBOT_BASE_MODEL"),
        ({"ACTIONBOT_EMPTY_PENALTY": "high"}, "ACTIONBOT_EMPTY_PENALTY"),
        ({"ACTIONBOT_EMPTY_PENALTY": "-1"}, "ACTIONBOT_EMPTY_PENALTY"),
        ({"ACTIONBOT_COPY_BIAS": "lots"}, "ACTIONBOT_COPY_BIAS"),
        ({"ACTIONBOT_COPY_BIAS": "25"}, "ACTIONBOT_COPY_BIAS"),
    ],
)
def test_bad_values_name_the_variable(env, var):
    with pytest.raises(ValueError, match=var) as info:
        ModelConfig.from_env(env)
    assert "\n" not in str(info.value)
