# Jupyter's terminals are login shells when Jupyter has no tty (docker run -d, a
# hub), and /etc/profile resets PATH: put the image's environment and the
# user's own tools back in front.
PATH="$VENV/bin:$HOME/.local/bin:$PATH"
