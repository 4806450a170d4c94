# A JupyterHub single-user image with the course installed (docker-stacks base).
#   docker build -t mssedu-hub .                         # CPU torch
#   docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu126 -t mssedu-hub-gpu .
#   docker build --build-arg EXTRAS=pretrained,app -t mssedu-hub .   # optional extras (README)
# In JupyterHub: c.DockerSpawner.image = "mssedu-hub" (or KubeSpawner's singleuser image).
# Each user finds the notebooks in ~/mssedu-course (copied on start; edits are never replaced).
# Locally: docker run -p 8888:8888 mssedu-hub   (then open the printed URL)
FROM quay.io/jupyter/minimal-notebook:python-3.11

USER root
# optional: recorded instruments for the synthetic songs (without them: numpy instruments)
RUN apt-get update \
 && apt-get install -y --no-install-recommends fluidsynth fluid-soundfont-gm timgm6mb-soundfont \
 && rm -rf /var/lib/apt/lists/*
COPY docker/before-notebook.sh /usr/local/bin/before-notebook.d/10-mssedu-course.sh

USER ${NB_UID}
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
# the student install by default; e.g. "pretrained" adds HT-Demucs to notebook 7
ARG EXTRAS=""
COPY --chown=${NB_UID}:${NB_GID} . /tmp/mssedu
RUN pip install --no-cache-dir --index-url "${TORCH_INDEX}" torch \
 && pip install --no-cache-dir "/tmp/mssedu${EXTRAS:+[$EXTRAS]}" \
 && (pip install --no-cache-dir --no-deps "nussl==1.1.9" || true) \
 && rm -rf /tmp/mssedu \
 && mssedu course --help >/dev/null
WORKDIR /home/${NB_USER}
