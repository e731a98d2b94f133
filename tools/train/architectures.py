"""The two demo architectures as transformers configs (names and config.json exactly as transformers'
MambaForCausalLM / Mamba2ForCausalLM use them)."""

# Ids fixed by the SentencePiece model (spm_train --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3).
UNK_ID, BOS_ID, EOS_ID, PAD_ID = 0, 1, 2, 3
VOCAB_SIZE = 8192

MODEL_NAMES = {"mamba": "mamba-demo", "mamba2": "mamba2-demo"}


def build_model(arch):
    """A freshly initialised transformers model (call torch.manual_seed first)."""
    common = dict(vocab_size=VOCAB_SIZE, hidden_size=384, num_hidden_layers=8, expand=2, conv_kernel=4,
                  layer_norm_epsilon=1e-5, use_bias=False, use_conv_bias=True, residual_in_fp32=True,
                  initializer_range=0.02, tie_word_embeddings=True, pad_token_id=PAD_ID,
                  bos_token_id=BOS_ID, eos_token_id=EOS_ID, use_cache=True)
    if arch == "mamba":
        from transformers import MambaConfig, MambaForCausalLM
        config = MambaConfig(state_size=16, time_step_rank="auto", **common)
        return MambaForCausalLM(config)
    if arch == "mamba2":
        from transformers import Mamba2Config, Mamba2ForCausalLM
        # n_groups = 1: transformers' gated norm matches mamba_ssm's only then.
        config = Mamba2Config(state_size=64, head_dim=64, num_heads=12, n_groups=1, chunk_size=256,
                              rms_norm=True, **common)
        return Mamba2ForCausalLM(config)
    raise ValueError(f"unknown architecture {arch}")


def model_class(arch):
    import transformers
    return transformers.MambaForCausalLM if arch == "mamba" else transformers.Mamba2ForCausalLM
