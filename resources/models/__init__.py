"""Model weights (``default.safetensors`` + ``default.json``) and their model card."""
