"""Developer tools: scratch workspaces, the determinism receipt and the benchmark."""
