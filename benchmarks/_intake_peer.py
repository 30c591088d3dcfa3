"""The peer for benchmarks/intake.py: django-helpdesk's ticket API, in a throwaway virtualenv.

ensure_venv() installs the pinned releases (only if the virtualenv lacks them), write_project()
lays a minimal Django project in a temporary folder and setup() migrates a fresh database,
makes a staff user and a queue. gunicorn then serves `peerdesk.wsgi:application` from that
folder, and a ticket is POST /api/tickets/ with basic auth (helpdesk's TicketViewSet wants a
staff user; DRF's BasicAuthentication checks the password on every request).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PINS = ["django-helpdesk==2.6.1", "Django==5.2.19", "djangorestframework==3.18.3",
        "gunicorn==23.0.0",  # the release the project runs under, so the server is not the difference
        "psycopg[binary]==3.3.9"]
USER, PASSWORD = "bench", "bench-intake-pass-1"

SETTINGS = '''\
SECRET_KEY = "bench-intake-peer-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peerdesk.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]},
}]
# Basic auth checks the password on every request: a cheap hasher, as the project's bearer
# tokens are one SHA-256, so that password hashing is not what is compared.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Mail goes nowhere but is still rendered and "sent" in the request, as helpdesk does; the
# project's mail backend here is "log".
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HELPDESK_API_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False
# Connections kept open (CONN_MAX_AGE None), as the project's pool keeps its own.
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": DB, "USER": "postgres",
                         "HOST": "127.0.0.1", "PORT": "5432", "CONN_MAX_AGE": None}}
'''

URLS = '''\
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [path("healthz", lambda request: HttpResponse("ok")), path("", include("helpdesk.urls"))]
'''

WSGI = '''\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerdesk.settings")
application = get_wsgi_application()
'''

SETUP = f'''\
import django
django.setup()
from django.contrib.auth.models import User
from helpdesk.models import Queue
User.objects.create_superuser({USER!r}, "bench@example.com", {PASSWORD!r})
print(Queue.objects.create(title="Intake", slug="intake").id)
'''


def installed(python: Path) -> bool:
    """Whether the virtualenv has exactly the pinned releases."""
    if not python.exists():
        return False
    check = ("import importlib.metadata as m, sys; pins = sys.argv[1:]; "
             "sys.exit(any(m.version(p.split('[')[0].split('==')[0]) != p.split('==')[1] for p in pins))")
    return subprocess.run([str(python), "-c", check, *PINS], capture_output=True).returncode == 0


def ensure_venv(venv: Path) -> Path:
    """The virtualenv's python, with the pinned releases installed from PyPI if missing."""
    python = venv / "bin" / "python"
    if not installed(python):
        print(f"installing the peer into {venv}: {' '.join(PINS)}", flush=True)
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
    return python


def write_project(folder: Path, db: str) -> None:
    pkg = folder / "peerdesk"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "settings.py").write_text(f"DB = {db!r}\nMEDIA_ROOT = {str(folder / 'media')!r}\n" + SETTINGS)
    (pkg / "urls.py").write_text(URLS)
    (pkg / "wsgi.py").write_text(WSGI)


def setup(python: Path, folder: Path) -> int:
    """Migrate the (empty) database, load helpdesk's mail templates, make the user and the
    queue; returns the queue's id."""
    env = {"DJANGO_SETTINGS_MODULE": "peerdesk.settings", "PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"}
    manage = [str(python), "-m", "django"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=folder, env=env, check=True)
    subprocess.run([*manage, "loaddata", "-v", "0", "emailtemplate"], cwd=folder, env=env, check=True)
    out = subprocess.run([str(python), "-c", SETUP], cwd=folder, env=env, check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1])


def body(n: int, queue: int) -> dict:
    """Ticket n as helpdesk's TicketSerializer takes it; the submitter differs per ticket."""
    return {"queue": queue, "title": f"Charged twice {n}", "description": "My October bill was charged twice.",
            "submitter_email": f"c{n}@example.cn", "priority": 3}
