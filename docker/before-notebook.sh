#!/usr/bin/env bash
# JupyterHub single-user start hook (docker-stacks runs /usr/local/bin/before-notebook.d/*):
# give each user the course notebooks in ~/mssedu-course. A second start never replaces a
# notebook the user has edited (mssedu course adds only the missing ones).
mssedu course "${HOME}/mssedu-course" --no-lab || echo "mssedu course: could not copy the notebooks" >&2
