"""Test-only JupyterHub: spawns the notebook image on the site network, as a site's hub would."""

import json
import os

c = get_config()  # noqa: F821 (provided by JupyterHub)

c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = os.environ["NOTEBOOK_IMAGE"]
# As hub configs written for docker-stacks' images name it.
c.DockerSpawner.cmd = ["start-singleuser.sh"]
c.DockerSpawner.network_name = os.environ["SITE_NETWORK"]
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True
c.DockerSpawner.name_template = os.environ["SPAWN_PREFIX"] + "-{username}"
# What a site admin sets: the site's schedd and collector, the user's token, the user's home
# shared with the submit node; for a notebook as its own access point, no home volume.
c.DockerSpawner.environment = json.loads(os.environ["NOTEBOOK_ENV"])
if os.environ.get("HOME_VOLUME"):
    c.DockerSpawner.volumes = {os.environ["HOME_VOLUME"]: "/home/jovyan"}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180

c.JupyterHub.hub_ip = "0.0.0.0"  # noqa: S104 (spawned servers reach the hub over the site network)
c.JupyterHub.hub_connect_ip = os.environ["HUB_HOST"]
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["HUB_PASSWORD"]
c.Authenticator.allowed_users = {"jovyan"}
c.JupyterHub.services = [{"name": "test", "api_token": os.environ["HUB_API_TOKEN"]}]
c.JupyterHub.load_roles = [
    {"name": "test", "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"], "services": ["test"]},
]
