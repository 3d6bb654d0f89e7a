#!/usr/bin/env python3
"""Generates services/<name>/{Dockerfile,VERSION,app/...} for the fleet."""
import os, shutil, json, textwrap
R = os.environ.get("REAL_FLEET_SERVICES", "target/real-fleet/services")

DJANGO = "Django==4.2.11 djangorestframework==3.15.1 gunicorn==21.2.0 psycopg2-binary==2.9.9 PyJWT==2.8.0"
FASTAPI = "fastapi==0.110.0 uvicorn[standard]==0.29.0 SQLAlchemy==2.0.29 pydantic==2.6.4 alembic==1.13.1 psycopg2-binary==2.9.9"
FLASK = "Flask==3.0.2 gunicorn==21.2.0 SQLAlchemy==2.0.29 redis==5.0.3 requests==2.31.0"

# name, version, pip spec, mode, npm deps, extra
# mode: "nocache"   -> pip install --no-cache-dir (no cleanup needed)
#       "cache-rm"  -> pip install (leaves ~/.cache/pip), later RUN rm -rf ~/.cache/pip
#       "cache-keep"-> pip install, cache left in image (sloppy team)
SERVICES = [
  ("auth-api",        "1.4.2", DJANGO, "nocache", None),
  ("admin-portal",    "0.9.0", DJANGO, "nocache", None),                       # same dep layer as auth-api
  ("orders-api",      "2.3.0", FASTAPI, "nocache", None),
  ("orders-api",      "2.3.1", FASTAPI, "nocache", None),                      # same deps, new app layer
  ("payments-api",    "3.1.0", FASTAPI + " cryptography==42.0.5 stripe==8.8.0", "cache-rm", None),
  ("inventory-svc",   "1.0.7", FLASK, "nocache", None),
  ("notify-worker",   "1.2.0", "celery[redis]==5.3.6 requests==2.31.0 Jinja2==3.1.3 PyYAML==6.0.1", "cache-rm", None),
  ("reporting-worker","0.5.3", "pandas==2.2.1 numpy==1.26.4 openpyxl==3.1.2 SQLAlchemy==2.0.29 psycopg2==2.9.9", "cache-rm", None),  # psycopg2 built from source with gcc+libpq-dev
  ("ml-scoring",      "4.0.1", "numpy==1.26.4 scipy==1.12.0 pandas==2.2.1 scikit-learn==1.4.1.post1 fastapi==0.110.0 uvicorn==0.29.0", "nocache", None),
  ("image-resizer",   "1.1.0", "Pillow==10.2.0 Flask==3.0.2 gunicorn==21.2.0 boto3==1.34.69", "cache-keep", None),
  ("s3-sync",         "0.3.0", "boto3==1.34.69 PyYAML==6.0.1 click==8.1.7", "nocache", None),
  ("scraper",         "2.0.0", "requests==2.31.0 lxml==5.1.0 beautifulsoup4==4.12.3 redis==5.0.3", "cache-rm", None),
  ("webhook-gateway", "1.6.0", "fastapi==0.110.0 uvicorn[standard]==0.29.0 httpx==0.27.0 pydantic==2.6.4", "nocache", {"express": "4.19.2", "body-parser": "1.20.2"}),
  ("frontend-bff",    "5.2.0", "Flask==3.0.2 requests==2.31.0 Jinja2==3.1.3 gunicorn==21.2.0", "cache-rm", {"express": "4.19.2", "lodash": "4.17.21", "axios": "1.6.8"}),
  ("etl-loader",      "0.8.0", "pandas==2.2.1 numpy==1.26.4 boto3==1.34.69 SQLAlchemy==2.0.29 psycopg2-binary==2.9.9", "nocache", {"lodash": "4.17.21"}),
]

def app_files(name, ver, pip, npm):
    mod = name.replace("-", "_")
    files = {
      "app/__init__.py": f'__version__ = "{ver}"\n',
      "app/config.py": textwrap.dedent(f'''\
        import os
        SERVICE = "{name}"
        DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://app@db/{mod}")
        REDIS_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")
        LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        '''),
      "app/main.py": textwrap.dedent(f'''\
        """Entry point for {name} {ver}."""
        import logging
        from . import config
        log = logging.getLogger(config.SERVICE)

        def health():
            return {{"service": config.SERVICE, "status": "ok", "version": "{ver}"}}

        def main():
            logging.basicConfig(level=config.LOG_LEVEL)
            log.info("starting %s", config.SERVICE)
            print(health())

        if __name__ == "__main__":
            main()
        '''),
      "app/models.py": "".join(f"class Model{i}:\n    table = '{mod}_t{i}'\n    fields = {list(range(i % 7 + 2))}\n\n" for i in range(12)),
      "requirements.txt": "\n".join(pip.split()) + "\n",
      "tests/test_health.py": f"from app.main import health\n\ndef test_health():\n    assert health()['service'] == '{name}'\n",
    }
    if ver.endswith(".1") and name == "orders-api":
        files["app/main.py"] += "\n# 2.3.1: fix pagination off-by-one\n"
    if npm:
        files["package.json"] = json.dumps({"name": name, "version": ver, "private": True,
                                             "dependencies": npm}, indent=2) + "\n"
        files["web/server.js"] = "const express = require('express');\nconst app = express();\napp.get('/health', (q, r) => r.json({ok: true}));\napp.listen(3000);\n" if "express" in npm else "const _ = require('lodash');\nconsole.log(_.chunk([1,2,3,4], 2));\n"
    return files

def dockerfile(name, ver, pip, mode, npm):
    L = ["FROM fleetbase:1",
         "# corporate CA + pip config (TLS is intercepted)",
         "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
         "COPY pip.conf /etc/pip.conf",
         "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_BREAK_SYSTEM_PACKAGES=1 PYTHONUNBUFFERED=1"]
    if npm:
        # apt lists left behind here on purpose; removed in the cleanup RUN below
        L += ["ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
              "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm"]
    if mode == "nocache":
        L.append(f"RUN pip install --no-cache-dir {pip}")
    else:
        # proxy answers with no-store, so pip's own HTTP cache stays empty; teams that want a
        # wheelhouse download into ~/.cache/pip explicitly and install from it
        L.append(f"RUN pip download --dest /root/.cache/pip/wheelhouse {pip} && pip install --no-index --find-links /root/.cache/pip/wheelhouse {pip}")
    L += ["WORKDIR /srv/app", "COPY src/ /srv/app/"]
    if npm:
        L.append("RUN npm config set cafile /etc/ssl/certs/ca-certificates.crt && npm install --omit=dev --no-audit --no-fund")
    if mode == "cache-rm" or npm:
        L.append("RUN rm -rf /root/.cache/pip /root/.npm /var/lib/apt/lists/*")
    L += [f'LABEL org.opencontainers.image.title="{name}" org.opencontainers.image.version="{ver}"',
          'CMD ["python3", "-m", "app.main"]']
    return "\n".join(L) + "\n"

if os.path.isdir(R):
    shutil.rmtree(R)
for name, ver, pip, mode, npm in SERVICES:
    d = os.path.join(R, f"{name}-{ver}")
    os.makedirs(d)
    open(os.path.join(d, "VERSION"), "w").write(ver + "\n")
    open(os.path.join(d, "NAME"), "w").write(name + "\n")
    open(os.path.join(d, "Dockerfile"), "w").write(dockerfile(name, ver, pip, mode, npm))
    open(os.path.join(d, ".dockerignore"), "w").write("Dockerfile\nVERSION\nNAME\n.dockerignore\n")
    for p, c in app_files(name, ver, pip, npm).items():
        fp = os.path.join(d, "src", p); os.makedirs(os.path.dirname(fp), exist_ok=True)
        open(fp, "w").write(c)
print(len(SERVICES), "services")
