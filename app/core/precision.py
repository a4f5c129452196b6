"""The precision a GPU's matrix multiplies run at, for given weights, and the peak decode attention runs at.

Moved out of app.core.throughput (which still exports these names) to keep it under the line limit. Pure: no I/O.
"""

from __future__ import annotations

from app.core.errors import DomainError
from app.core.specs import GpuSpec
from app.core.units import TERA, Precision

# Compute precision to try, in order, for each weight precision: the weight precision itself when
# the GPU has tensor cores for it, else the next wider one. INT4 is served weight-only (AWQ/GPTQ
# W4A16 kernels), so it computes at 16 bits even where INT4 tensor cores exist.
_COMPUTE_PRECISION_ORDER: dict[Precision, tuple[Precision, ...]] = {
    # MXFP4 weights without FP4 tensor cores (Hopper, Ampere) are weight-only: the MoE kernels upcast them to
    # 16 bits in the kernel and multiply bf16 activations (W4A16: OpenAI's triton_kernels `matmul_ogs` that vLLM
    # and TensorRT-LLM run gpt-oss with on Hopper, huggingface.co/blog/faster-transformers "MXFP4"; the same
    # bf16-A x MXFP4-W upconvert in ROCm/FlyDSL#948 "a16w4"), so they compute at the 16-bit peak, not FP8's.
    "fp4": ("fp4", "bf16", "fp16"),
    "int4": ("bf16", "fp16"),
    "fp8": ("fp8", "bf16", "fp16"),
    "int8": ("int8", "bf16", "fp16"),
    "bf16": ("bf16", "fp16"),
    "fp16": ("fp16", "bf16"),
    "fp32": ("fp32",),
}


def compute_precision_for(gpu: GpuSpec, precision: Precision) -> Precision:
    """The precision matrix multiplies run at: the weight precision or the next wider one supported."""
    for candidate in _COMPUTE_PRECISION_ORDER[precision]:
        if gpu.dense_tflops.get(candidate, 0.0) > 0:
            return candidate
    raise DomainError(
        f"{gpu.id} has no tensor-core path for {precision} weights or any wider precision we model "
        f"(it lists {', '.join(sorted(gpu.dense_tflops)) or 'none'}); choose another precision",
        field=("precision",),
    )


def attention_peak_flops(gpu: GpuSpec) -> float:
    """Dense FLOP/s decode attention runs at: the 16-bit tensor-core peak whatever the weight or KV precision.

    FlashMLA computes in BF16/FP16 (deepseek-ai/FlashMLA README) and FlashAttention/FlashInfer decode kernels
    dequantise an FP8 KV cache to 16 bits before the multiply; the H200 floor measurements run their FP8 rows'
    attention in bf16 too (../shared/data/README.md). Only MLA (128 query heads on one latent) is ever
    compute-bound here: GQA decode attention does ~2·(heads/KV heads) FLOPs per KV byte, far below any ridge."""
    for precision in ("bf16", "fp16", "fp32"):
        if gpu.dense_tflops.get(precision, 0.0) > 0:
            return gpu.dense_tflops[precision] * TERA
    return max(gpu.dense_tflops.values(), default=0.0) * TERA
