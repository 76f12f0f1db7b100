"""Start-up of the HTC notebook images: decide the mode, start the pool, exec Jupyter."""
