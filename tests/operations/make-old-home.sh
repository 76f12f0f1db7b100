#!/usr/bin/env bash
# Make the old-home fixture from the 23.9.6 image: a finished map, a held map in the queue.
set -euo pipefail
img=${1:-htcondor/htc-base-notebook:condor-23.9.6}
docker rm -f oldhome >/dev/null 2>&1 || true
docker volume rm -f oldhome-vol >/dev/null 2>&1 || true
docker run -d --name oldhome -v oldhome-vol:/home/jovyan "$img"
until docker logs oldhome 2>&1 | grep -q "pool ready:"; do sleep 0.5; done
docker exec -i oldhome python - <<'PY'
import htmap

def double(x):
    return 2 * x

done = htmap.map(double, range(10), tag="finished")
assert list(done) == [2 * x for x in range(10)]
held = htmap.map(double, range(3), tag="held")
held.hold()
print(htmap.status())
PY
docker exec oldhome condor_q -af ClusterId ProcId JobStatus
docker stop oldhome
docker run --rm -v oldhome-vol:/home/jovyan --entrypoint bash "$img" -c \
  'cd /home/jovyan && rm -rf .condor/state/log/* .cache .local .jupyter .ipython && find . -type f | sort && du -sh .'
docker run --rm -v oldhome-vol:/home/jovyan -v /tmp/oldhome:/out --entrypoint bash -u 0 "$img" -c \
  'tar -C /home/jovyan --numeric-owner -czf /out/home-23.9.6.tar.gz . && ls -la /out'
docker rm -f oldhome; docker volume rm oldhome-vol
