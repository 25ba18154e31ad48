"""gunicorn settings for the portal (`gunicorn --config deploy/gunicorn.conf.py
drenfax_portal.wsgi`); each may be overridden on the command line or in GUNICORN_CMD_ARGS."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Requests wait on the database, rarely on the CPU: a few workers per core.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Long work (blasts, background sync) runs in the task consumer, so a request never needs
# more than this.
timeout = 30
graceful_timeout = 30
# Recycle workers now and then, so that no slow leak grows unchecked.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# The proxy in front (nginx, a load balancer) on this machine; see README, Deployment.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
