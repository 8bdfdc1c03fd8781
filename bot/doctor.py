"""``rse-bot doctor``'s checks: is this configuration ready to run, and is the running bot well?

Each check gives one line for the operator, in French, with what to do when something is wrong.
An error (✗) makes the command fail, so that a deployment pipeline stops; a warning (⚠) is worth
a look but stops nothing: a feed another site broke, a backlog while no bot runs yet. No line
ever holds a secret: what an error message says is scrubbed of every token and password given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import aiosmtplib
import httpx
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url
from telegram import Bot, WebhookInfo
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.config import Settings
from bot.logs import masker, secrets_of
from bot.storage import repositories as repo
from bot.storage.database import Database, alembic_config, current_revision
from bot.storage.models import utcnow
from handlers.events.mail import smtp_server
from handlers.veille.sources import failing
from scheduler.leader import current_leader

logger = logging.getLogger(__name__)

Status = Literal["ok", "warning", "error", "off"]
MARKS: dict[Status, str] = {"ok": "✓", "warning": "⚠", "error": "✗", "off": "–"}
# Each network check gives up after this long: a pipeline must not hang on a dead server.
TIMEOUT = 10.0
# Messages waiting longer than this are worth a look: no worker seems to be sending.
STALE_BACKLOG = timedelta(hours=1)
FEEDS_LISTED = 5


@dataclass(frozen=True)
class Check:
    status: Status
    label: str
    detail: str
    advice: str | None = None

    def lines(self) -> list[str]:
        lines = [f"{MARKS[self.status]} {self.label} : {self.detail}"]
        if self.advice:
            lines.append(f"    → {self.advice}")
        return lines


def ok(label: str, detail: str) -> Check:
    return Check("ok", label, detail)


def error(label: str, detail: str, advice: str) -> Check:
    return Check("error", label, detail, advice)


def warning(label: str, detail: str, advice: str) -> Check:
    return Check("warning", label, detail, advice)


def off(label: str, detail: str) -> Check:
    return Check("off", label, detail)


async def diagnose(settings: Settings) -> list[Check]:
    """Every check of ``settings``, in a fixed order; the network ones run at once."""
    groups = await asyncio.gather(
        _guarded("Base de données", database_checks(settings)),
        _guarded("Telegram", telegram_checks(settings)),
        _guarded("Slack", slack_checks(settings)),
        _guarded("Adresse publique", public_url_checks(settings)),
        _guarded("SMTP", smtp_checks(settings)),
    )
    found = [check for group in groups for check in group]
    found.insert(0, timezone_check(settings))
    scrub = masker(secrets_of(settings))
    return [Check(check.status, check.label, scrub(check.detail), check.advice) for check in found]


def failed(checks: Sequence[Check]) -> bool:
    return any(check.status == "error" for check in checks)


async def _guarded(label: str, checks: Awaitable[list[Check]]) -> list[Check]:
    """A check that raised what it did not expect is an error line, not a traceback."""
    try:
        async with asyncio.timeout(TIMEOUT * 3):
            return await checks
    except TimeoutError:
        return [error(label, "pas de réponse à temps", "vérifiez le réseau et le serveur")]
    except Exception as exc:
        logger.debug("doctor: %s check failed", label, exc_info=True)
        return [error(label, f"vérification impossible ({_reason(exc)})", _REPORT)]


_REPORT = "relancez avec RSEBOT_LOG_LEVEL=DEBUG pour le détail"


def _reason(exc: BaseException) -> str:
    """The first line of an error (SQLAlchemy's go on with the statement and a link)."""
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200] or type(exc).__name__


# --- configuration ------------------------------------------------------------------------------


def timezone_check(settings: Settings) -> Check:
    # The settings refuse an unknown zone: what is left to show is the offset now.
    now = datetime.now(settings.tz)
    offset = f"{now:%z}"
    return ok(
        "Fuseau horaire",
        f"{settings.timezone} (UTC{offset[:3]}:{offset[3:]}, {now:%H:%M} maintenant)",
    )


# --- database -----------------------------------------------------------------------------------


async def database_checks(settings: Settings) -> list[Check]:
    """Reachable and migrated to this version's head; then, read from it, the scheduler's
    leader, the outbox and the feeds."""
    label = "Base de données"
    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    file = url.database if url.get_backend_name() == "sqlite" else None
    # Connecting would create an empty file, and doctor must change nothing.
    if file and file != ":memory:" and not await asyncio.to_thread(Path(file).is_file):
        return [
            error(
                label,
                f"fichier {file} absent",
                "vérifiez RSEBOT_DATABASE_URL, ou créez la base : rse-bot db upgrade",
            )
        ]
    database = Database(settings.database_url)
    try:
        try:
            async with asyncio.timeout(TIMEOUT):
                current = await current_revision(database)
        except Exception as exc:
            return [
                error(
                    label,
                    f"injoignable ({shown}) : {_reason(exc) if str(exc) else 'délai dépassé'}",
                    "vérifiez RSEBOT_DATABASE_URL, que le serveur tourne et qu'il accepte ce "
                    "compte depuis cette machine",
                )
            ]
        scripts = ScriptDirectory.from_config(alembic_config())
        head = scripts.get_current_head()
        if current != head:
            return [_migration_check(label, current, head, scripts)]
        checks = [ok(label, f"joignable ({shown}), schéma à jour (révision {head})")]
        checks.append(await leader_check(database, settings))
        checks.append(await outbox_check(database))
        checks.append(await feeds_check(database))
        if settings.slack_oauth:
            checks += await installation_checks(database, settings)
        return checks
    finally:
        await database.dispose()


def _migration_check(
    label: str, current: str | None, head: str | None, scripts: ScriptDirectory
) -> Check:
    upgrade = "appliquez les migrations : rse-bot db upgrade (le bot le fait aussi au démarrage)"
    if current is None:
        return error(label, "joignable mais vide (aucune migration appliquée)", upgrade)
    try:
        scripts.get_revision(current)
    except CommandError:
        return error(
            label,
            f"schéma en révision {current}, inconnue de cette version de rse-bot",
            "base mise à jour par une version plus récente : déployez cette version-là",
        )
    return error(label, f"schéma en retard (révision {current}, attendue {head})", upgrade)


async def leader_check(database: Database, settings: Settings) -> Check:
    label = "Tâches planifiées"
    if database.engine.dialect.name == "sqlite":
        return ok(label, "SQLite : l'instance unique du bot les exécute quand elle tourne")
    async with asyncio.timeout(TIMEOUT):
        leader = await database.run(current_leader, database.engine)
    if leader is None:
        return warning(
            label,
            "aucune instance ne les exécute",
            "normal si aucun bot ne tourne ; sinon voir les journaux de rse-bot run",
        )
    since = (
        f" depuis le {leader.since.astimezone(settings.tz):%d/%m/%Y %H:%M}" if leader.since else ""
    )
    return ok(label, f"exécutées par l'instance {leader.instance}{since}")


async def outbox_check(database: Database) -> Check:
    label = "File d'envoi"
    async with asyncio.timeout(TIMEOUT), database.transaction() as session:
        backlog = await repo.outbox_backlog(session)
    counts = backlog.counts
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    summary = (
        f"{waiting} à envoyer, {counts.get('sent', 0)} envoyés, {counts.get('failed', 0)} en "
        f"échec, {counts.get('unreachable', 0)} destinataires injoignables"
    )
    if backlog.oldest_pending is None:
        return ok(label, summary)
    age = utcnow() - backlog.oldest_pending
    summary += f" ; le plus ancien attend depuis {_duration(age)}"
    if age > STALE_BACKLOG:
        return warning(
            label,
            summary,
            "aucun envoi ne semble avancer : le bot tourne-t-il ? (rse-bot run, ses journaux)",
        )
    return ok(label, summary)


async def feeds_check(database: Database) -> Check:
    label = "Flux de veille"
    async with asyncio.timeout(TIMEOUT), database.transaction() as session:
        in_error = await repo.feeds_in_error(session)
    if not in_error:
        return ok(label, "aucun flux en erreur")
    now = utcnow()
    long = [(pole, feed) for pole, feed in in_error if failing(feed, now)]
    if not long:
        return ok(
            label, f"{len(in_error)} en erreur à la dernière lecture, depuis moins d'une semaine"
        )
    shown = "; ".join(
        f"« {pole.name} » {feed.url} ({feed.last_error or '?'})"
        for pole, feed in long[:FEEDS_LISTED]
    )
    more = f" et {len(long) - FEEDS_LISTED} autres" if len(long) > FEEDS_LISTED else ""
    return warning(
        label,
        f"{len(long)} en échec depuis une semaine ou plus : {shown}{more}",
        "les animateurs du pôle corrigent ou retirent le flux (/veille sources, /veille retirer)",
    )


def _duration(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d}"
    return f"{minutes // (24 * 60)} jours"


# --- Telegram -----------------------------------------------------------------------------------


async def telegram_checks(settings: Settings) -> list[Check]:
    """The token, by getMe; then the webhook Telegram holds against the one configured."""
    label = "Telegram"
    if settings.telegram_token is None:
        return [off(label, "non configuré (RSEBOT_TELEGRAM_TOKEN absent)")]
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_url)
    try:
        async with bot:
            me = bot.bot
            info = await bot.get_webhook_info()
    except InvalidToken:
        return [
            error(
                label,
                "jeton refusé par Telegram",
                "vérifiez RSEBOT_TELEGRAM_TOKEN (@BotFather, /mybots → API Token)",
            )
        ]
    except NetworkError as exc:
        return [
            error(
                label,
                f"API injoignable ({settings.telegram_api_url}) : {_reason(exc)}",
                "vérifiez l'accès de cette machine à Internet (ou RSEBOT_TELEGRAM_API_URL)",
            )
        ]
    except TelegramError as exc:
        return [error(label, f"réponse inattendue : {_reason(exc)}", _REPORT)]
    checks = [ok(label, f"jeton valide, bot @{me.username}")]
    checks.append(_webhook_check(settings.telegram_webhook_url, info))
    return checks


def _webhook_check(configured: str | None, info: WebhookInfo) -> Check:
    label = "Webhook Telegram"
    registered = info.url or None
    if configured is None:
        if registered is None:
            return ok(label, "aucun, comme il faut en longue attente (polling)")
        return error(
            label,
            f"Telegram envoie les messages à {registered}, alors que ce bot les attend en "
            "longue attente (polling)",
            "une autre installation utilise-t-elle ce jeton ? Sinon définissez "
            "RSEBOT_TELEGRAM_WEBHOOK_URL, ou laissez rse-bot run supprimer ce webhook",
        )
    if registered is None:
        return warning(
            label,
            f"pas encore enregistré ({configured} attendu)",
            "rse-bot run l'enregistre au démarrage",
        )
    if registered != configured:
        return error(
            label,
            f"Telegram envoie les messages à {registered}, pas à {configured}",
            "une autre installation utilise-t-elle ce jeton ? Sinon corrigez "
            "RSEBOT_TELEGRAM_WEBHOOK_URL ; rse-bot run enregistre le sien au démarrage",
        )
    if info.last_error_message:
        return error(
            label,
            f"{configured} enregistré, mais Telegram n'arrive pas à le joindre : "
            f"{info.last_error_message} (en attente chez Telegram : {info.pending_update_count})",
            "vérifiez le proxy HTTPS (certificat, redirection vers RSEBOT_HTTP_PORT)",
        )
    return ok(label, f"{configured}, en attente chez Telegram : {info.pending_update_count}")


# --- Slack --------------------------------------------------------------------------------------


async def slack_checks(settings: Settings) -> list[Check]:
    """The bot token by auth.test, the signing secret, and Socket Mode's app-level token."""
    label = "Slack"
    if settings.slack_oauth:
        return [await _oauth_check(settings), _SIGNING_SECRET]
    if settings.slack_bot_token is None:
        return [off(label, "non configuré (RSEBOT_SLACK_BOT_TOKEN absent)")]
    checks: list[Check] = []
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=int(TIMEOUT),
    )
    try:
        auth = await client.auth_test()
        checks.append(
            ok(label, f"jeton valide, bot {auth.get('user')} de l'espace « {auth.get('team')} »")
        )
    except SlackApiError as exc:
        checks.append(
            error(
                label,
                f"jeton refusé par Slack ({exc.response.get('error')})",
                "vérifiez RSEBOT_SLACK_BOT_TOKEN (api.slack.com/apps → OAuth & Permissions → "
                "Bot User OAuth Token, xoxb-…)",
            )
        )
    except Exception as exc:
        checks.append(
            error(
                label,
                f"API injoignable ({settings.slack_api_url}) : {_reason(exc)}",
                "vérifiez l'accès de cette machine à Internet (ou RSEBOT_SLACK_API_URL)",
            )
        )
    checks.append(_SIGNING_SECRET)
    checks.append(await _socket_mode_check(settings, client))
    return checks


# The settings refuse Slack without it: present, it can only be checked by Slack's own requests,
# which doctor cannot make.
_SIGNING_SECRET = ok("Secret de signature Slack", "présent (RSEBOT_SLACK_SIGNING_SECRET)")


async def _oauth_check(settings: Settings) -> Check:
    """The app's client id and secret, by exchanging a code that does not exist: Slack refuses
    the client before it looks at the code."""
    label = "Slack"
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(TIMEOUT))
    try:
        await client.oauth_v2_access(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            code="rse-bot-doctor",
        )
    except SlackApiError as exc:
        refused = exc.response.get("error")
        if refused == "invalid_code":
            return ok(
                label, "installation par espace de travail (OAuth), identifiants de l'app valides"
            )
        return error(
            label,
            f"identifiants de l'app refusés par Slack ({refused})",
            "vérifiez RSEBOT_SLACK_CLIENT_ID et RSEBOT_SLACK_CLIENT_SECRET (api.slack.com/apps → "
            "Basic Information → App Credentials)",
        )
    except Exception as exc:
        return error(
            label,
            f"API injoignable ({settings.slack_api_url}) : {_reason(exc)}",
            "vérifiez l'accès de cette machine à Internet (ou RSEBOT_SLACK_API_URL)",
        )
    return error(label, "Slack a accepté un code inventé", _REPORT)


async def installation_checks(database: Database, settings: Settings) -> list[Check]:
    """One line per workspace that installed the app, its bot token checked by auth.test."""
    async with asyncio.timeout(TIMEOUT), database.transaction() as session:
        installations = await repo.slack_installations(session)
    if not installations:
        return [
            warning(
                "Espaces Slack",
                "aucun espace de travail n'a installé l'app",
                "donnez à un administrateur de l'espace de chaque pôle son lien : rse-bot slack "
                "install-link --pole NOM",
            )
        ]
    checks = []
    for installation, pole in installations:
        label = f"Espace Slack « {installation.team_name} »"
        client = AsyncWebClient(
            token=installation.bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            timeout=int(TIMEOUT),
        )
        try:
            await client.auth_test()
        except SlackApiError as exc:
            checks.append(
                error(
                    label,
                    f"pôle « {pole.name} », jeton refusé par Slack ({exc.response.get('error')})",
                    "un administrateur de l'espace réinstalle l'app depuis le lien : rse-bot "
                    f"slack install-link --pole « {pole.name} »",
                )
            )
            continue
        checks.append(ok(label, f"pôle « {pole.name} », jeton valide"))
    return checks


async def _socket_mode_check(settings: Settings, client: AsyncWebClient) -> Check:
    label = "Slack Socket Mode"
    if settings.slack_app_token is None:
        return off(label, "non utilisé : Slack poste à /slack/events (Events API en HTTP)")
    app_token = settings.slack_app_token.get_secret_value()
    if not app_token.startswith("xapp-"):
        return error(
            label,
            "RSEBOT_SLACK_APP_TOKEN ne commence pas par xapp-",
            "donnez le jeton de niveau application (Basic Information → App-Level Tokens, "
            "portée connections:write)",
        )
    try:
        # Asks for a connection address only: no connection is opened.
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        return error(
            label,
            f"jeton d'application refusé par Slack ({exc.response.get('error')})",
            "vérifiez RSEBOT_SLACK_APP_TOKEN, sa portée connections:write, et que Socket Mode "
            "est activé (Settings → Socket Mode)",
        )
    return ok(label, "jeton d'application valide (xapp-…)")


# --- the public address -------------------------------------------------------------------------


async def public_url_checks(settings: Settings) -> list[Check]:
    """RSEBOT_PUBLIC_URL's /healthz, where something outside has to reach this bot."""
    label = "Adresse publique"
    needs = []
    if settings.telegram_webhook_url:
        needs.append("le webhook Telegram")
    if settings.slack_enabled and settings.slack_app_token is None:
        needs.append("les événements Slack")
    if settings.public_url is None:
        if not needs:
            return [off(label, "aucune nécessaire (RSEBOT_PUBLIC_URL absent)")]
        return [
            warning(
                label,
                f"RSEBOT_PUBLIC_URL absent : rien ne vérifie que {' et '.join(needs)} "
                "joignent ce bot",
                "donnez l'adresse publique du serveur HTTP (https://…) pour que doctor la vérifie",
            )
        ]
    address = f"{settings.public_url}/healthz"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer = await client.get(address)
    except httpx.HTTPError as exc:
        return [
            error(
                label,
                f"{address} injoignable : {_reason(exc) or type(exc).__name__}",
                "le bot tourne-t-il (rse-bot run) ? Le proxy HTTPS transmet-il au port "
                f"{settings.http_port} ? (doctor n'est pas le bot : lancez-le après lui)",
            )
        ]
    if answer.status_code != 200 or answer.text.strip() != "ok":
        return [
            error(
                label,
                f"{address} répond {answer.status_code}, pas « ok »",
                f"le proxy HTTPS doit transmettre {urlsplit(address).path} au port "
                f"{settings.http_port} de rse-bot",
            )
        ]
    return [ok(label, f"{address} répond")]


# --- e-mail -------------------------------------------------------------------------------------


async def smtp_checks(settings: Settings) -> list[Check]:
    """Connect, EHLO (and STARTTLS when offered), log in if the URL has credentials."""
    label = "SMTP"
    if settings.smtp_url is None:
        return [off(label, "non configuré (RSEBOT_SMTP_URL absent) : pas d'invitations par e-mail")]
    server = smtp_server(settings.smtp_url.get_secret_value())
    where = f"{server.host}:{server.port}"
    smtp = aiosmtplib.SMTP(
        hostname=server.host, port=server.port, use_tls=server.tls, timeout=TIMEOUT
    )
    try:
        await smtp.connect()
        await smtp.ehlo()
        if server.username is not None:
            await smtp.login(server.username, server.password or "")
    except aiosmtplib.SMTPAuthenticationError as exc:
        return [
            error(
                label,
                f"{where} refuse l'identifiant ({exc.code})",
                "vérifiez l'utilisateur et le mot de passe de RSEBOT_SMTP_URL (encodés : %40 "
                "pour @)",
            )
        ]
    except (aiosmtplib.SMTPException, OSError) as exc:
        return [
            error(
                label,
                f"{where} injoignable : {_reason(exc) or type(exc).__name__}",
                "vérifiez l'hôte et le port de RSEBOT_SMTP_URL (smtp:// 587, smtps:// 465)",
            )
        ]
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit()
            except aiosmtplib.SMTPException:
                smtp.close()
    logged = f", connecté en tant que {server.username}" if server.username else ""
    return [ok(label, f"{where} répond{logged}, expéditeur {settings.mail_from}")]
