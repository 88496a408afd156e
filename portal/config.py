"""Every setting of the portal, read from the environment, with development defaults and checks."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from portal.storage.kinds import MB, UploadKind

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))

DEV_SECRET_FILE = INSTANCE_DIR / "dev-secret-key"

# argon2-cffi's RFC 9106 "low memory" profile: 64 MiB, 3 passes, 4 lanes. Stronger on every axis than
# OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
# argon2id with 64 MiB and 3 passes (above OWASP's minimums) on one lane: a hash keeps one core
# busy, never all of them, so sign-ins cannot stall the pages served beside them.
DEFAULT_PASSWORD_HASH_PARAMETERS = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 1}


class ConfigError(RuntimeError):
    """The environment describes a configuration the portal refuses to run with."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key() -> str:
    # A development key that survives restarts, so `make run` keeps sessions; never used in production.
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    if not DEV_SECRET_FILE.exists():
        DEV_SECRET_FILE.write_text(secrets.token_hex(32))
    return DEV_SECRET_FILE.read_text().strip()


@dataclass(frozen=True)
class OIDCProvider:
    """One OpenID Connect issuer the sign-in page offers."""

    name: str  # url-safe key: "oidc", "google", "github"
    label: str
    client_id: str
    client_secret: str
    server_metadata_url: str | None = None
    # GitHub speaks OAuth 2 only: its endpoints are listed instead of discovered.
    authorize_url: str | None = None
    access_token_url: str | None = None
    api_base_url: str | None = None
    scope: str = "openid email profile"


def oidc_providers(env: dict[str, str]) -> list[OIDCProvider]:
    providers = []
    issuer = env.get("OIDC_ISSUER", "").rstrip("/")
    if issuer and env.get("OIDC_CLIENT_ID"):
        providers.append(
            OIDCProvider(
                name="oidc",
                label=env.get("OIDC_LABEL", "single sign-on"),
                client_id=env["OIDC_CLIENT_ID"],
                client_secret=env.get("OIDC_CLIENT_SECRET", ""),
                server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            )
        )
    if env.get("GOOGLE_CLIENT_ID"):
        providers.append(
            OIDCProvider(
                name="google",
                label="Google",
                client_id=env["GOOGLE_CLIENT_ID"],
                client_secret=env.get("GOOGLE_CLIENT_SECRET", ""),
                server_metadata_url="https://accounts.google.com/.well-known/openid-configuration",
            )
        )
    if env.get("GITHUB_CLIENT_ID"):
        providers.append(
            OIDCProvider(
                name="github",
                label="GitHub",
                client_id=env["GITHUB_CLIENT_ID"],
                client_secret=env.get("GITHUB_CLIENT_SECRET", ""),
                authorize_url="https://github.com/login/oauth/authorize",
                access_token_url="https://github.com/login/oauth/access_token",
                api_base_url="https://api.github.com/",
                scope="read:user user:email",
            )
        )
    return providers


def load(env: dict[str, str] | None = None, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    overrides = overrides or {}
    mode = env.get("CANDOR_ENV") or "development"
    if mode not in ("development", "production"):
        # A typo must not start a production site in development mode, with its relaxed defaults.
        raise ConfigError(f"CANDOR_ENV must be 'development' or 'production', not {mode!r}.")
    production = mode == "production"

    secret = env.get("SECRET_KEY") or overrides.get("SECRET_KEY")
    if not secret and not production:
        secret = _dev_secret_key()

    database_url = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'candor.sqlite3'}"

    base_url = (overrides.get("BASE_URL") or env.get("BASE_URL", "http://127.0.0.1:5000")).rstrip("/")
    secure_cookies = _bool(env.get("SESSION_COOKIE_SECURE"), default=urlparse(base_url).scheme == "https")

    config = {
        "CANDOR_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_URL": env.get("MAIL_URL", ""),
        "MAIL_FROM": env.get("MAIL_FROM", "Candor <no-reply@candor.localhost>"),
        "STORAGE_BACKEND": env.get("STORAGE_BACKEND", "local").strip().lower(),
        "STORAGE_DIR": env.get("STORAGE_DIR", str(INSTANCE_DIR / "storage")),
        "BASE_URL": base_url,
        "REDIS_URL": env.get("REDIS_URL", ""),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "OIDC_PROVIDERS": oidc_providers(env),
        # The CV limit, and the default of any upload kind without a limit of its own.
        "MAX_UPLOAD_BYTES": _megabytes(env, "MAX_UPLOAD_MB", 10),
        # The most a request without an upload may send (a form: the longest are briefs and kits).
        "MAX_FORM_BYTES": _megabytes(env, "MAX_FORM_MB", 1),
        # A take-home hand-in's files (each assignment narrows it): the CV limit unless set apart.
        "TAKEHOME_SUBMISSION_BYTES": _megabytes(env, "TAKEHOME_SUBMISSION_MB", 100)
        if env.get("TAKEHOME_SUBMISSION_MB")
        else None,
        # Starter files of take-home briefs: the CV limit unless set apart.
        "TAKEHOME_STARTER_BYTES": _megabytes(env, "TAKEHOME_STARTER_MB", 10)
        if env.get("TAKEHOME_STARTER_MB")
        else None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_NAME": "candor_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_NAME": "candor_remember",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
        "WTF_CSRF_TIME_LIMIT": None,
        "PREFERRED_URL_SCHEME": urlparse(base_url).scheme or "http",
        "VERIFY_TOKEN_HOURS": 48,
        "RESET_TOKEN_MINUTES": 60,
        "INVITE_TOKEN_DAYS": 14,
        "DEFAULT_SLA_WORKING_DAYS": 5,
        "OUTBOX_MAX_ATTEMPTS": int(env.get("OUTBOX_MAX_ATTEMPTS", "8")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # Proxies in front of the app that set X-Forwarded-For/-Proto/-Host (0: none, talk to clients directly).
        "TRUSTED_PROXY_HOPS": int(env.get("TRUSTED_PROXY_HOPS", "0")),
        # argon2id; tests lower the cost. Stored hashes made with other parameters are redone at sign-in.
        "PASSWORD_HASH_PARAMETERS": dict(DEFAULT_PASSWORD_HASH_PARAMETERS),
        "PASSWORD_HASH_CONCURRENCY": int(env.get("PASSWORD_HASH_CONCURRENCY") or _default_hash_concurrency()),
        # Across every worker process of one machine: half its cores at most.
        "PASSWORD_HASH_HOST_CONCURRENCY": int(env.get("PASSWORD_HASH_HOST_CONCURRENCY") or 0),
        # Failed sign-ins from one address (an IPv6 /64) per hour, whatever the accounts: an office or
        # campus behind one address stays far below it, a password sprayer does not.
        "SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR": int(env.get("SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR", "300")),
        # Interview booking: how soon a slot may start, how far ahead one can book, until when a
        # candidate may move or cancel, the pause between two interviews of a loop and the gap kept
        # around every interview in an interviewer's day.
        "SCHEDULING_NOTICE_HOURS": int(env.get("SCHEDULING_NOTICE_HOURS", "24")),
        "SCHEDULING_HORIZON_DAYS": int(env.get("SCHEDULING_HORIZON_DAYS", "21")),
        "SCHEDULING_CUTOFF_HOURS": int(env.get("SCHEDULING_CUTOFF_HOURS", "24")),
        "SCHEDULING_LOOP_BREAK_MINUTES": int(env.get("SCHEDULING_LOOP_BREAK_MINUTES", "15")),
        "SCHEDULING_BUFFER_MINUTES": int(env.get("SCHEDULING_BUFFER_MINUTES", "10")),
        # The public holidays that block interviewers' days unless their profile names another country.
        "SCHEDULING_DEFAULT_COUNTRY": env.get("SCHEDULING_DEFAULT_COUNTRY", "NL").upper(),
        # Staff members' own calendars (ICS feeds, CalDAV accounts): how often each is read again, the
        # most read from one, and whether addresses on private networks may be read (the portal's own
        # network is out of reach of staff-given addresses in production unless this says otherwise).
        "CALENDAR_REFRESH_MINUTES": int(env.get("CALENDAR_REFRESH_MINUTES", "30")),
        "CALENDAR_MAX_BYTES": _megabytes(env, "CALENDAR_MAX_MB", 5),
        "CALENDAR_ALLOW_PRIVATE_HOSTS": _bool(env.get("CALENDAR_ALLOW_PRIVATE_HOSTS"), default=not production),
        # Where interviews happen: {uid} becomes the interview's own room.
        "VIDEO_LINK_TEMPLATE": env.get("VIDEO_LINK_TEMPLATE", "https://meet.jit.si/candor-{uid}"),
    }
    config.update(overrides)
    if "UPLOAD_KINDS" not in overrides:
        config["UPLOAD_KINDS"] = upload_kinds(config)
    if "MAX_CONTENT_LENGTH" not in overrides:
        # The request may be larger than the largest file limit, so a file somewhat too large is
        # refused by the form with a message next to the field and the rest of the form kept; far
        # beyond it, 413.
        config["MAX_CONTENT_LENGTH"] = 3 * max(kind.max_bytes for kind in config["UPLOAD_KINDS"].values())
    if production:
        _refuse_unsafe_production(config, env)
    config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(config["SQLALCHEMY_DATABASE_URI"])
    if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = (
            # Wait for a writer instead of failing at once: the web app and the mail worker share the file.
            {"connect_args": {"timeout": 30}}
            if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
            # A request that cannot get a connection within a few seconds is answered "busy" (503)
            # instead of queueing for half a minute. Connections that sat idle are checked before use
            # by the portal's own checkout hook (portal/__init__.py), not by pool_pre_ping on every one.
            else {"pool_timeout": float(env.get("DATABASE_POOL_TIMEOUT", "5"))}
        )
    return config


def upload_kinds(config: dict) -> dict[str, UploadKind]:
    """What each kind of upload accepts, and its size limit."""
    return {
        "cv": UploadKind(label="CV", types=("pdf", "docx"), max_bytes=config["MAX_UPLOAD_BYTES"]),
        # Files staff attach to a take-home brief (the code to fix, the script to automate); the text
        # and zip types are registered by the take-home capability (portal/takehome/filetypes.py).
        "takehome_starter": UploadKind(
            label="starter file",
            types=("text", "zip", "pdf"),
            max_bytes=config.get("TAKEHOME_STARTER_BYTES") or config["MAX_UPLOAD_BYTES"],
        ),
        "takehome_submission": UploadKind(
            label="take-home file",
            types=("zip", "text", "pdf", "docx"),
            max_bytes=config.get("TAKEHOME_SUBMISSION_BYTES") or config["MAX_UPLOAD_BYTES"],
        ),
    }


def _megabytes(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of megabytes, not {raw!r}.") from None
    if not 0 < value <= 10_000:
        raise ConfigError(f"{name} must be more than 0 and at most 10000 (megabytes).")
    return int(value * MB)


def _default_hash_concurrency() -> int:
    # Each hash keeps `parallelism` lanes busy: no more hashes at once than the cores can run.
    return max(1, (os.cpu_count() or 1) // DEFAULT_PASSWORD_HASH_PARAMETERS["parallelism"])


def _refuse_unsafe_production(config: dict, env: dict[str, str]) -> None:
    """Production runs several instances behind a proxy: settings that only work for one process on
    one machine, or that send links and cookies in the clear, stop the start with every reason."""
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("SECRET_KEY must be set: a long random string that signs sessions and CSRF tokens.")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        problems.append(
            "DATABASE_URL must point to PostgreSQL (postgresql://...): SQLite is one file on one "
            "machine and serialises every write."
        )
    if config.get("RATELIMIT_ENABLED") and config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory"):
        problems.append(
            "REDIS_URL must be set: rate limits kept in memory count per process, so several "
            "instances would each allow the full limit."
        )
    if not config.get("MAIL_URL"):
        problems.append(
            "MAIL_URL must be set (smtp:// or smtps://): without it verification and reset "
            "mail is only written to the log."
        )
    if urlparse(config["BASE_URL"]).scheme != "https":
        problems.append(
            f"BASE_URL must start with https:// (it is {config['BASE_URL']!r}): links in mail and "
            "session cookies would travel unencrypted."
        )
    if problems:
        raise ConfigError("CANDOR_ENV=production refuses to start:\n- " + "\n- ".join(problems))


def _sqlalchemy_url(url: str) -> str:
    """postgres:// and postgresql:// mean PostgreSQL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
