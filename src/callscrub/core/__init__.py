"""The pure core: frames and values in, frames out; no file, terminal or process state."""
