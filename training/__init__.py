"""Fine-tuning: training examples from labelled meetings, LoRA/QLoRA training, plots."""
